package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHolderReload(t *testing.T) {
	good, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	write := func(data []byte) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(good)
	h, err := NewHolder(path)
	if err != nil {
		t.Fatalf("NewHolder() = %v", err)
	}
	v1 := h.Current().Version()

	if changed, err := h.Reload(); changed || err != nil {
		t.Errorf("Reload() of unchanged file = %v, %v, want false, nil", changed, err)
	}

	write([]byte("roles:\n  r:\n    condition: nonsense(\n"))
	changed, err := h.Reload()
	if changed || err == nil || !strings.Contains(err.Error(), path+":") {
		t.Errorf("Reload() of a bad file = %v, %v, want false and a located error", changed, err)
	}
	if got := h.Current().Version(); got != v1 {
		t.Errorf("Current().Version() after a bad reload = %q, want the last good %q", got, v1)
	}
	if _, again := h.Reload(); again == nil || again.Error() != err.Error() {
		t.Errorf("Reload() of the same bad file = %v, want the same error %v", again, err)
	}

	next := append(good, []byte("\n# reviewed\n")...)
	write(next)
	if changed, err := h.Reload(); !changed || err != nil {
		t.Errorf("Reload() of a new good file = %v, %v, want true, nil", changed, err)
	}
	if got, want := h.Current().Version(), Version(next); got != want {
		t.Errorf("Current().Version() = %q, want %q", got, want)
	}

	os.Remove(path)
	if _, err := h.Reload(); err == nil || h.Current().Version() != Version(next) {
		t.Errorf("Reload() of a missing file = %v, version %q; want an error and the last good policy", err, h.Current().Version())
	}
	if _, err := NewHolder(path); err == nil {
		t.Errorf("NewHolder(missing) = nil error, want an error")
	}
}
