package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dataproc-iis/iis/broker/store/storetest"
)

func TestHealthEndpoints(t *testing.T) {
	st := storetest.SQLite(t)
	mux := http.NewServeMux()
	health(mux, st)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
	st.Close()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with a closed store = %d, want 503", rec.Code)
	}
}
