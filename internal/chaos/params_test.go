//go:build linux

package chaos

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// params shape a run. The defaults are the issue's: 3 workers, 1,000
// requests, 30% published twice, 20 leavers; IIS_CHAOS_REQUESTS,
// IIS_CHAOS_KILLS and IIS_CHAOS_SEED override the size, the number of kill
// events and the random schedule.
type params struct {
	Workers     int
	Requests    int
	DupFraction float64 // requests published a second time (same CloudEvent id)
	Engineers   int     // directory users in data-eng: approved
	Contractors int     // in data-eng and contractors: denied by a deny rule
	Strangers   int     // in no directory: denied
	Leavers     int     // engineers deactivated over SCIM halfway through
	KillEvents  int     // each SIGKILLs one or two workers, restarted soon after
	ClusterJobs float64 // requests for the etl cluster rather than Serverless
	// Clusters is the share of requests that ask for a cluster of one's
	// own rather than a job; Access the share of those followed by a
	// request for its logs.
	Clusters, Access float64
	PublishRate      float64 // requests per second
	JobPending       time.Duration
	JobRunning       time.Duration
	// LateBound is how long after a lock an approval of the leaver is
	// tolerated: the time a worker's directory cache takes to hear of it.
	LateBound time.Duration
	// Budget bounds the run from the first request until everything is
	// decided, ended and audited; a broker slower than that fails.
	Budget time.Duration
	Seed   uint64
}

func defaultParams(t *testing.T) params {
	t.Helper()
	p := params{
		Workers: 3, Requests: 1000, DupFraction: 0.3,
		Engineers: 60, Contractors: 5, Strangers: 3, Leavers: 20,
		KillEvents: 8, ClusterJobs: 0.25, Clusters: 0.08, Access: 0.5, PublishRate: 80,
		JobPending: 50 * time.Millisecond, JobRunning: 3 * time.Second,
		LateBound: 2 * time.Second, Budget: 4*time.Minute + 30*time.Second,
		Seed: uint64(time.Now().UnixNano()),
	}
	if v := os.Getenv("IIS_CHAOS_REQUESTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			t.Fatalf("IIS_CHAOS_REQUESTS=%q: want a number >= 10", v)
		}
		p.Requests = n
	}
	if v := os.Getenv("IIS_CHAOS_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("IIS_CHAOS_WORKERS=%q: want a number >= 1", v)
		}
		p.Workers = n
	}
	if v := os.Getenv("IIS_CHAOS_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("IIS_CHAOS_KILLS=%q: want a number >= 0", v)
		}
		p.KillEvents = n
	}
	if v := os.Getenv("IIS_CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("IIS_CHAOS_SEED=%q: %v", v, err)
		}
		p.Seed = n
	}
	return p
}

func (p params) engineers() []string   { return names("eng", p.Engineers) }
func (p params) contractors() []string { return names("ctr", p.Contractors) }
func (p params) strangers() []string   { return names("stranger", p.Strangers) }

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d@chaos.example.com", prefix, i)
	}
	return out
}
