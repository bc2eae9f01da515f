package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dataproc-iis/iis/broker/approval"
)

func init() {
	register("pending", "list the requests that wait for your approval (-mine: yours that wait)", runPending)
}

func runPending(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var as approverSettings
	var mine, asJSON bool
	f := newFlags("pending", stderr)
	as.register(f)
	f.BoolVar(&mine, "mine", false, "list your own requests that wait for approvers instead")
	f.BoolVar(&asJSON, "json", false, "print the broker's answer as JSON")
	if err := f.Parse(args); err != nil {
		return err
	}
	token, err := as.token(ctx, stderr)
	if err != nil {
		return err
	}
	path := "pending"
	if mine {
		path = "mine"
	}
	l, err := apiGet(ctx, as.Broker, path, token)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(l)
	}
	if len(l.Requests) == 0 {
		fmt.Fprintln(stdout, "nothing waits for you")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "REQUEST\tREQUESTER\tROLE\tJOB\tAPPROVALS\tEXPIRES")
	for _, it := range l.Requests {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", it.RequestID, it.Requester.ID, it.Role, describeJob(it.Request), progress(it.Counts),
			it.ExpiresAt.Local().Format(time.RFC3339))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !mine {
		fmt.Fprintln(stdout, "\napprove with: iis approve REQUEST -comment '...'   reject with: iis reject REQUEST -comment '...'")
	}
	return nil
}

// waitingRequest is the one waiting request with that id the caller may
// answer, from the broker's API.
func waitingRequest(ctx context.Context, base, token, id string) (approval.Item, error) {
	l, err := apiGet(ctx, base, "requests/"+url.PathEscape(id), token)
	if err != nil {
		return approval.Item{}, fmt.Errorf("%w (or pass -digest from the job.approval_requested)", err)
	}
	switch len(l.Requests) {
	case 0:
		return approval.Item{}, fmt.Errorf("request %s does not wait for you: unknown, answered, expired, or not yours to answer (see iis pending)", id)
	case 1:
		return l.Requests[0], nil
	}
	return approval.Item{}, fmt.Errorf("%d requests use the id %s (from different sources): pass -digest to say which", len(l.Requests), id)
}

// apiGet calls GET <base>/approvals/v1/<path> with the bearer token.
func apiGet(ctx context.Context, base, path, token string) (approval.List, error) {
	var l approval.List
	u := strings.TrimSuffix(base, "/") + approval.APIPath + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return l, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return l, fmt.Errorf("the broker's API at %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return l, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error, Message string }
		json.Unmarshal(body, &e) //nolint:errcheck // the status says enough
		return l, fmt.Errorf("the broker's API answered %s: %s: %s", resp.Status, e.Error, e.Message)
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return l, fmt.Errorf("the broker's API: %w", err)
	}
	return l, nil
}
