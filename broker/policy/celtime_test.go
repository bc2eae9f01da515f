package policy

import (
	"testing"
	"time"

	"cel.dev/cel-go/common/types"
)

func TestCELTimeZones(t *testing.T) {
	// 2026-03-02T23:30:00Z is Tuesday 00:30 in Paris (UTC+1), Monday 18:30
	// in New York (UTC-5).
	at := time.Date(2026, 3, 2, 23, 30, 15, 250e6, time.UTC)
	tests := []struct {
		expr string
		want bool
	}{
		{`time.getHours("Europe/Paris") == 0`, true},
		{`time.getHours("America/New_York") == 18`, true},
		{`time.getHours() == 23`, true},
		{`time.getDayOfWeek("Europe/Paris") == 2 && time.getDayOfWeek() == 1`, true},
		{`time.getDate("Europe/Paris") == 3 && time.getDayOfMonth("Europe/Paris") == 2`, true},
		{`time.getMonth("Europe/Paris") == 2 && time.getFullYear("Europe/Paris") == 2026`, true},
		{`time.getDayOfYear("Europe/Paris") == 61`, true},
		{`time.getMinutes("+05:45") == 15 && time.getSeconds("-01:00") == 15`, true},
		{`time.getMilliseconds("UTC") == 250`, true},
		{`time.getHours("-05:30") == 18`, true},
		{`request.time.getHours("Europe/Paris") < 7`, true},
	}
	req := Request{Time: at}
	act := &activation{request: &req, principal: &req.Principal, time: types.Timestamp{Time: at}}
	for _, tt := range tests {
		c, err := compileCondition(tt.expr)
		if err != nil {
			t.Fatalf("compileCondition(%q) = %v", tt.expr, err)
		}
		for range 2 { // the second run hits the zone cache
			if got, err := c.eval(act); err != nil || got != tt.want {
				t.Errorf("eval(%q) = %v, %v, want %v", tt.expr, got, err, tt.want)
			}
		}
	}
	if _, ok := zones.Load("America/New_York"); !ok {
		t.Errorf("zone cache has no America/New_York: the cached accessors are not in use")
	}
	for _, bad := range []string{`time.getHours("Mars/Olympus") == 1`, `time.getHours("+25:00") == 1`} {
		c, err := compileCondition(bad)
		if err != nil {
			t.Fatalf("compileCondition(%q) = %v", bad, err)
		}
		if _, err := c.eval(act); err == nil {
			t.Errorf("eval(%q) = nil error, want an error", bad)
		}
	}
}
