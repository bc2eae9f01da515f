package main

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/timeline"
)

// mountTimeline serves the audit timeline page at baseURL's path on mux,
// behind the broker's own token verification, directory and policy.
func mountTimeline(mux *http.ServeMux, b *service.Broker, baseURL, loginURL string) error {
	d := b.Decider()
	if d == nil || d.Directory == nil {
		return errors.New("the timeline page needs a policy and the directory (-policy, -directory)")
	}
	tl, err := timeline.New(timeline.Config{Store: b.Store, Verifier: d.Verifier, Directory: d.Directory, Policy: d.Policy,
		BaseURL: baseURL, LoginURL: loginURL})
	if err != nil {
		return err
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return err
	}
	path := strings.TrimSuffix(u.Path, "/")
	mux.Handle(path+"/", telemetry.HTTPHandler(tl, "timeline"))
	return nil
}
