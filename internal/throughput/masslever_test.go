package throughput

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/scim"
	"github.com/dataproc-iis/iis/broker/store"
	"github.com/dataproc-iis/iis/events"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

const (
	leavers      = 200
	jobsEach     = 5
	stayers      = 50
	scimToken    = "throughput-scim-token-0123456789"
	cascadeQuota = 6000 // Dataproc calls per minute per region, across the workers
	steadyRate   = 20   // the stayers' job requests per second
)

// BenchmarkMassLeaver is a mass leaver event under load: 200 principals
// with 5 running jobs each (1,000 workloads) are deactivated over SCIM
// at once, while 50 others keep sending job requests at a steady rate. It reports the time from the first SCIM PATCH to the last cancel
// the cascades issued (their access.revoked events say when), the cancels
// per second against the Dataproc quota shared by the workers, and how many
// submits went out meanwhile: cancels go first in the quota, so submits
// should wait until the cancels are through. PostgreSQL, 3 workers, full
// execution; one mass leaver event per iteration (-benchtime 1x).
func BenchmarkMassLeaver(b *testing.B) {
	const workers = 3
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := newRig(b, execute, "postgres", workers, func(c *rigConfig) {
			c.users = leavers + stayers
			// Long enough for the leavers' workloads to be running when
			// they leave; short enough that the stayers' do not pile up.
			c.timing = dataprocserver.Timing{Pending: 20 * time.Millisecond, Running: 3 * time.Minute, Cancel: 50 * time.Millisecond}
			c.perMinute = cascadeQuota / workers
		})
		base := r.scim()
		ids := r.userIDs(leavers)

		// 1,000 running workloads of the leavers.
		var msgs []events.Message
		for u := range leavers {
			for range jobsEach {
				msgs = append(msgs, r.requestFrom(u))
			}
		}
		r.run(msgs)
		r.waitRunning(len(msgs))

		// Steady requests from the stayers, through the cascade.
		ctx, stopLoad := context.WithCancel(r.ctx)
		var load sync.WaitGroup
		load.Add(1)
		go func() { defer load.Done(); r.steady(ctx, steadyRate) }()
		time.Sleep(time.Second)

		b.StartTimer()
		start := time.Now()
		var patch sync.WaitGroup
		sem := make(chan struct{}, 32)
		for _, id := range ids {
			patch.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; patch.Done() }()
				r.deactivate(base, id)
			}()
		}
		patch.Wait()
		patched := time.Since(start)
		last, cancels := r.waitRevoked(leavers)
		b.StopTimer()
		stopLoad()
		load.Wait()

		took := last.Sub(start)
		r.mu.Lock()
		during := 0
		for _, t := range r.submitted {
			if t.After(start) && t.Before(last) {
				during++
			}
		}
		r.mu.Unlock()
		if cancels != leavers*jobsEach {
			b.Errorf("the cascades cancelled %d workloads, want %d", cancels, leavers*jobsEach)
		}
		b.ReportMetric(took.Seconds(), "s-to-last-cancel")
		b.ReportMetric(patched.Seconds(), "s-to-last-patch")
		b.ReportMetric(float64(cancels)/took.Seconds(), "cancels/s")
		b.ReportMetric(cascadeQuota/60.0, "quota-calls/s")
		b.ReportMetric(float64(during), "submits-during-cascade")
	}
}

// scim serves the SCIM endpoint on the first worker's store.
func (r *rig) scim() string {
	b := r.brokers[0]
	srv, err := scim.New(scim.Config{Store: b.Store, IdentityTopic: r.topo.Identity, Tokens: []string{scimToken},
		Wake: b.Relay.Wake, Log: zerolog.Nop()})
	if err != nil {
		r.tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	r.tb.Cleanup(ts.Close)
	return ts.URL + "/scim/v2"
}

// userIDs returns the SCIM ids of the first n users.
func (r *rig) userIDs(n int) []string {
	var ids []string
	err := r.brokers[0].Store.View(r.ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range n {
			u, err := tx.GetUserByName(ctx, user(i))
			if err != nil {
				return err
			}
			ids = append(ids, u.ID)
		}
		return nil
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	return ids
}

// deactivate sends Okta's deactivation, and like Okta waits out a 429
// (the SCIM endpoint's per-client rate limit, Retry-After) and sends it
// again.
func (r *rig) deactivate(base, id string) {
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequestWithContext(r.ctx, http.MethodPatch, base+"/Users/"+id, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+scimToken)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			r.tb.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 100 {
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				wait = time.Duration(s) * time.Second
			}
			time.Sleep(wait) // the IdP's own back-off, as the endpoint asks
			continue
		}
		if resp.StatusCode != http.StatusOK {
			r.tb.Errorf("SCIM deactivate %s: %s", id, resp.Status)
		}
		return
	}
}

// requestFrom is a job request of user u.
func (r *rig) requestFrom(u int) events.Message {
	saved := r.sequence
	r.sequence = u
	m := r.requests(1)[0]
	r.sequence = saved + 1
	return m
}

// steady publishes requests of the stayers at rate per second until ctx ends.
func (r *rig) steady(ctx context.Context, rate float64) {
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m := r.requestFrom(leavers + n%stayers)
		go func() { _, _ = r.pub.Publish(ctx, r.topo.Requests, m) }()
	}
}

// waitRunning waits until n workloads were reported RUNNING.
func (r *rig) waitRunning(n int) {
	seen := map[string]bool{}
	timeout := time.After(5 * time.Minute)
	for len(seen) < n {
		select {
		case id := <-r.running:
			seen[id] = true
		case <-timeout:
			r.tb.Fatalf("%d of %d workloads running after 5 minutes", len(seen), n)
		}
	}
}

// waitRevoked waits for n revocations that cancelled jobs and returns when
// the last finished and how many cancels succeeded.
func (r *rig) waitRevoked(n int) (last time.Time, cancels int) {
	principals := map[string]bool{}
	timeout := time.After(10 * time.Minute)
	for len(principals) < n {
		select {
		case rev := <-r.revoked:
			if rev.Trigger.Action != "user_deactivated" {
				continue
			}
			principals[rev.Principal.ID] = true
			for _, a := range rev.Actions {
				if a.Kind == events.ActionCancelJob && a.Outcome == events.ActionSucceeded {
					cancels++
				}
			}
			if rev.FinishedAt.After(last) {
				last = rev.FinishedAt
			}
		case <-timeout:
			r.tb.Fatalf("%d of %d revocations after 10 minutes", len(principals), n)
		}
	}
	return last, cancels
}
