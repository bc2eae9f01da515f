package policy

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Holder holds the active policy of a worker and reloads it from its file.
// Current is lock-free. A file that fails to parse never replaces the active
// policy: the last good one stays in force and the error is returned (and
// logged by Watch).
type Holder struct {
	path    string
	current atomic.Pointer[Policy]
	mu      sync.Mutex // serialises reloads and guards bad*
	badVer  string     // version of the last refused content
	badErr  error
}

// NewHolder loads the policy at path. It fails if the first load fails: a
// worker must not start without a policy.
func NewHolder(path string) (*Holder, error) {
	p, err := Load(path)
	if err != nil {
		return nil, err
	}
	h := &Holder{path: path}
	h.current.Store(p)
	return h, nil
}

// StaticHolder holds p and never reloads it (tests, `iis policy explain`).
func StaticHolder(p *Policy) *Holder {
	h := &Holder{}
	h.current.Store(p)
	return h
}

// Current returns the active policy.
func (h *Holder) Current() *Policy { return h.current.Load() }

// Reload re-reads the file and activates it if its content changed and it
// parses. It reports whether the active policy changed. On error the active
// policy is unchanged.
func (h *Holder) Reload() (changed bool, err error) {
	if h.path == "" {
		return false, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	data, err := readFile(h.path)
	if err != nil {
		return false, err
	}
	v := Version(data)
	switch v {
	case h.current.Load().Version():
		return false, nil
	case h.badVer:
		return false, h.badErr
	}
	p, err := Parse(h.path, data)
	if err != nil {
		h.badVer, h.badErr = v, err
		return false, err
	}
	h.current.Store(p)
	return true, nil
}

// Watch reloads the policy every interval until ctx is done, logging each
// change and each refused file with zerolog.Ctx(ctx). A refused file is
// logged once per distinct content, not on every tick.
func (h *Holder) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := h.Reload()
		log := zerolog.Ctx(ctx)
		switch {
		case err != nil:
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				log.Error().Err(err).Str("policy_version", h.Current().Version()).
					Msg(fmt.Sprintf("policy %s refused; the last good policy stays active", h.path))
			}
		case changed:
			lastErr = ""
			log.Info().Str("policy_version", h.Current().Version()).Msg("policy reloaded: " + h.Current().Summary())
		}
	}
}
