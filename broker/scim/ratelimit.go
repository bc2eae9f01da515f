package scim

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxClients bounds the limiter table. Clients are configured tokens or
// OAuth clients of a trusted issuer, so the table stays small; if it ever
// fills, it starts over rather than grow without bound.
const maxClients = 10000

// limiter is a token bucket per client.
type limiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func newLimiter(limit rate.Limit, burst int) *limiter {
	return &limiter{limit: limit, burst: burst, clients: map[string]*rate.Limiter{}}
}

// allow takes one request from client's bucket at now. When the bucket is
// empty it returns false and how long until the next request may pass.
func (l *limiter) allow(client string, now time.Time) (bool, time.Duration) {
	if l.limit == rate.Inf {
		return true, 0
	}
	l.mu.Lock()
	lim := l.clients[client]
	if lim == nil {
		if len(l.clients) >= maxClients {
			l.clients = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.clients[client] = lim
	}
	l.mu.Unlock()
	if lim.AllowN(now, 1) {
		return true, 0
	}
	return false, time.Duration(math.Ceil(float64(time.Second) / float64(l.limit)))
}
