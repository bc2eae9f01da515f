//go:build linux

package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/events"
)

// requestSource is the CloudEvents source of the test's job requests.
const requestSource = "//dataproc-iis/chaos"

// mintTokens asks the dev issuer for an ID token per principal.
func mintTokens(ctx context.Context, issuer string, principals []string) (map[string]string, error) {
	out := make(map[string]string, len(principals))
	for _, p := range principals {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, issuer+"/token", strings.NewReader(url.Values{"email": {p}}.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("POST %s/token: %w", issuer, err)
		}
		var body struct {
			IDToken string `json:"id_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || body.IDToken == "" {
			return nil, fmt.Errorf("POST %s/token for %s: %s, %v", issuer, p, resp.Status, err)
		}
		out[p] = body.IDToken
	}
	return out, nil
}

// load publishes the job requests: each once, a fixed share of them a
// second time with the same CloudEvent id, half of those right away
// (racing the first copy) and half after the first was decided (a
// redelivery the dedupe must drop).
type load struct {
	p      params
	rng    *rand.Rand
	tokens map[string]string
	users  []string // who asks, weighted
	pub    *transport.Publisher
	topic  string

	Requests        []Request // job requests
	ClusterRequests []Request
	AccessRequests  []Request    // each for the cluster of a cluster request, a while after it
	Published       atomic.Int64 // messages, duplicates included
	errs            chan error
}

func newLoad(p params, rng *rand.Rand, tokens map[string]string, pub *transport.Publisher, topic string) *load {
	l := &load{p: p, rng: rng, tokens: tokens, pub: pub, topic: topic, errs: make(chan error, 16)}
	// Mostly engineers; contractors and strangers (both denied) now and
	// then, about one request in twenty each.
	add := func(who []string, weight int) {
		for range weight {
			l.users = append(l.users, who...)
		}
	}
	add(p.engineers(), 3*p.Contractors*p.Strangers)
	add(p.contractors(), 3*p.Engineers*p.Strangers/20)
	add(p.strangers(), 3*p.Engineers*p.Contractors/20)
	return l
}

// build makes the next request: a job, or now and then a cluster of one's
// own (its kind says which).
func (l *load) build() (Request, events.Message, string, error) {
	who := l.users[l.rng.IntN(len(l.users))]
	if l.rng.Float64() < l.p.Clusters {
		e, err := events.NewClusterRequested(requestSource, events.ClusterRequest{IDToken: l.tokens[who], Template: "small"})
		if err != nil {
			return Request{}, events.Message{}, "", err
		}
		m, err := events.Encode(e)
		return Request{ID: e.ID(), Principal: who}, m, events.ClusterRequested, err
	}
	target := events.Target{Project: "iis-dev", Region: "europe-west1"}
	if l.rng.Float64() < l.p.ClusterJobs {
		target.Cluster = "etl-cluster"
	}
	e, err := events.NewJobRequested(requestSource, events.JobRequest{
		IDToken: l.tokens[who],
		Target:  target,
		Job:     events.JobSpec{Type: events.JobTypePySpark, MainPythonURI: "gs://iis-dev-code/etl.py"},
	})
	if err != nil {
		return Request{}, events.Message{}, "", err
	}
	m, err := events.Encode(e)
	return Request{ID: e.ID(), Principal: who}, m, events.JobRequested, err
}

// access is the request for the logs of a cluster request's cluster.
func (l *load) access(r Request) (Request, events.Message, error) {
	e, err := events.NewAccessRequested(requestSource, events.AccessRequest{IDToken: l.tokens[r.Principal],
		ClusterRequestID: r.ID, View: events.ViewLogs, Duration: "30m"})
	if err != nil {
		return Request{}, events.Message{}, err
	}
	m, err := events.Encode(e)
	return Request{ID: e.ID(), Principal: r.Principal}, m, err
}

func (l *load) send(ctx context.Context, m events.Message) {
	if _, err := l.pub.Publish(ctx, l.topic, m); err != nil && ctx.Err() == nil {
		select {
		case l.errs <- err:
		default:
		}
		return
	}
	l.Published.Add(1)
}

// run publishes at the configured rate and returns once every message,
// late duplicates included, is out. decidedAt says when a request's
// decision reached the audit topic.
func (l *load) run(ctx context.Context, decidedAt func(id string) (time.Time, bool)) error {
	dups := l.rng.Perm(l.p.Requests)[:int(float64(l.p.Requests)*l.p.DupFraction+0.5)]
	dup := map[int]bool{}
	for i, d := range dups {
		dup[d] = i%2 == 0 // true: right away; false: once decided
	}
	type late struct {
		id    string
		m     events.Message
		delay time.Duration
	}
	var lates []late
	var wg sync.WaitGroup
	start := time.Now()
	for i := range l.p.Requests {
		r, m, kind, err := l.build()
		if err != nil {
			return err
		}
		if kind == events.ClusterRequested {
			l.ClusterRequests = append(l.ClusterRequests, r)
			if l.rng.Float64() < l.p.Access {
				a, am, err := l.access(r)
				if err != nil {
					return err
				}
				l.AccessRequests = append(l.AccessRequests, a)
				wg.Go(func() {
					select {
					case <-time.After(2 * time.Second): // about when the cluster runs
						l.send(ctx, am)
					case <-ctx.Done():
					}
				})
			}
		} else {
			l.Requests = append(l.Requests, r)
		}
		wg.Go(func() { l.send(ctx, m) })
		if now, ok := dup[i]; ok {
			delay := time.Duration(l.rng.Int64N(int64(500 * time.Millisecond)))
			if now {
				wg.Go(func() {
					select {
					case <-time.After(delay):
						l.send(ctx, m)
					case <-ctx.Done():
					}
				})
			} else {
				lates = append(lates, late{id: r.ID, m: m, delay: 4 * delay})
			}
		}
		next := start.Add(time.Duration(float64(i+1) / l.p.PublishRate * float64(time.Second)))
		select {
		case <-time.After(time.Until(next)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for len(lates) > 0 {
		rest := lates[:0]
		for _, d := range lates {
			if at, ok := decidedAt(d.id); ok && time.Since(at) >= d.delay {
				wg.Go(func() { l.send(ctx, d.m) })
			} else {
				rest = append(rest, d)
			}
		}
		lates = rest
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%d late duplicates never sent: %w", len(lates), ctx.Err())
		}
	}
	wg.Wait()
	select {
	case err := <-l.errs:
		return errors.Join(errors.New("publishing failed"), err)
	default:
		return nil
	}
}
