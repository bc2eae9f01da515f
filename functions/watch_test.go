package functions_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/functions"
	"github.com/dataproc-iis/iis/internal/brokertest"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
)

func TestWatchWithoutJobsPipeline(t *testing.T) {
	env := brokertest.New(t)
	functions.Use(env.Broker, zerolog.Nop())
	rec := httptest.NewRecorder()
	functions.Watch(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("Watch on a broker that runs no jobs = %d, want 404", rec.Code)
	}
}

func TestWatchPolls(t *testing.T) {
	policy, _ := os.ReadFile(filepath.Join("..", "cmd", "iis", "devdata", "policy.yaml"))
	stack := brokertest.NewStack(t, string(policy), dataprocserver.Timing{})
	env := brokertest.New(t, stack.Option())
	functions.Use(env.Broker, zerolog.Nop())
	rec := httptest.NewRecorder()
	functions.Watch(rec, httptest.NewRequest("POST", "/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "0 jobs changed") {
		t.Errorf("Watch = %d %q, want 200 with a count", rec.Code, rec.Body.String())
	}
}
