package dataprocserver

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in      string
		want    []clause
		wantErr bool
	}{
		{"", nil, false},
		{"labels.iis-request = abc AND status.state = ACTIVE",
			[]clause{{"labels.iis-request", "=", "abc"}, {"status.state", "=", "ACTIVE"}}, false},
		{"state=RUNNING and labels.env=prod",
			[]clause{{"state", "=", "RUNNING"}, {"labels.env", "=", "prod"}}, false},
		{`create_time < "2026-01-01T00:00:00Z" labels.x = *`,
			[]clause{{"create_time", "<", "2026-01-01T00:00:00Z"}, {"labels.x", "=", "*"}}, false},
		{"state != FAILED", []clause{{"state", "!=", "FAILED"}}, false},
		{"state = RUNNING OR state = PENDING", nil, true},
		{"NOT state = RUNNING", nil, true},
		{"state", nil, true},
		{"= RUNNING", nil, true},
		{`labels.x = "open`, nil, true},
		{"(state = RUNNING)", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseFilter(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFilter(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(clause{})); diff != "" {
				t.Errorf("parseFilter(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	labels := map[string]string{"iis-request": "r1", "empty": ""}
	get := func(field string) (string, bool, bool) {
		switch field {
		case "state":
			return "RUNNING", true, true
		case "create_time":
			return "2026-01-02T00:00:00Z", true, true
		}
		v, ok := labels[field[len("labels."):]]
		return v, ok, true
	}
	tests := []struct {
		filter string
		want   bool
	}{
		{"state = RUNNING", true},
		{"state = PENDING", false},
		{"state != PENDING", true},
		{"labels.iis-request = r1 AND state = RUNNING", true},
		{"labels.iis-request = r2", false},
		{"labels.missing = *", false},
		{"labels.empty = *", true},
		{"labels.missing != x", true},
		{`create_time < "2026-01-03T00:00:00Z"`, true},
		{`create_time >= "2026-01-03T00:00:00Z"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			clauses, err := parseFilter(tt.filter)
			if err != nil {
				t.Fatalf("parseFilter(%q) = %v", tt.filter, err)
			}
			got, err := matches(clauses, get, "create_time")
			if err != nil || got != tt.want {
				t.Errorf("matches(%q) = %v, %v; want %v", tt.filter, got, err, tt.want)
			}
		})
	}
	if _, err := matches([]clause{{"state", "<", "x"}}, get, "create_time"); err == nil {
		t.Error("matches(state < x) = nil error, want InvalidArgument")
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"labels.a = b AND status.state = ACTIVE", `create_time < "x"`, "a=b c!=d", "OR"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clauses, err := parseFilter(s)
		if err != nil {
			return
		}
		for _, c := range clauses {
			if c.field == "" || c.op == "" {
				t.Fatalf("parseFilter(%q) returned an incomplete clause %+v", s, c)
			}
		}
	})
}
