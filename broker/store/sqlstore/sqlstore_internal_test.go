package sqlstore

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		numbered bool
		in, want string
	}{
		{false, "SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"},
		{true, "SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"},
		{true, "SELECT 1", "SELECT 1"},
	}
	for _, tt := range tests {
		d := Dialect{NumberedParams: tt.numbered}
		if got := d.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		have, want          []string
		wantAdded, wantGone []string
	}{
		{nil, nil, nil, nil},
		{nil, []string{"a", "b"}, []string{"a", "b"}, nil},
		{[]string{"a", "b"}, nil, nil, []string{"a", "b"}},
		{[]string{"a", "c", "e"}, []string{"b", "c", "d", "e", "f"}, []string{"b", "d", "f"}, []string{"a"}},
		{[]string{"a", "b"}, []string{"a", "b"}, nil, nil},
	}
	for _, tt := range tests {
		added, removed := diff(tt.have, tt.want)
		if d := cmp.Diff(tt.wantAdded, added); d != "" {
			t.Errorf("diff(%v, %v) added: mismatch (-want +got):\n%s", tt.have, tt.want, d)
		}
		if d := cmp.Diff(tt.wantGone, removed); d != "" {
			t.Errorf("diff(%v, %v) removed: mismatch (-want +got):\n%s", tt.have, tt.want, d)
		}
	}
}

func TestSortedSet(t *testing.T) {
	in := []string{"b", "", "a", "b"}
	if got, want := sortedSet(in), []string{"a", "b"}; !cmp.Equal(got, want) {
		t.Errorf("sortedSet(%q) = %q, want %q", in, got, want)
	}
	if in[0] != "b" || in[1] != "" {
		t.Errorf("sortedSet modified its argument: %q", in)
	}
	if got := sortedSet([]string{""}); got != nil {
		t.Errorf("sortedSet([\"\"]) = %q, want nil", got)
	}
}

func TestChunks(t *testing.T) {
	for _, n := range []int{0, 1, chunkSize, chunkSize + 1, 3*chunkSize + 7} {
		s := make([]int, n)
		total := 0
		for _, c := range chunks(s) {
			if len(c) == 0 || len(c) > chunkSize {
				t.Errorf("chunks(%d items) has a chunk of %d", n, len(c))
			}
			total += len(c)
		}
		if total != n {
			t.Errorf("chunks(%d items) covers %d", n, total)
		}
	}
}

func TestFindPassword(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{map[string]any{"userName": "a"}, ""},
		{map[string]any{"Password": "x"}, "$.Password"},
		{map[string]any{"a": []any{map[string]any{"b": map[string]any{"password": 1}}}}, "$.a[].b.password"},
		{map[string]any{"passwordHint": "x"}, ""},
	}
	for _, tt := range tests {
		if got := findPassword(tt.v, "$"); got != tt.want {
			t.Errorf("findPassword(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func FuzzKeyEscape(f *testing.F) {
	for _, s := range []string{"", "a\x00b", `a\0b`, `\\\x00`, "//src\x00id", `\`} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ea := encodeKey(a)
		if strings.ContainsRune(ea, 0) {
			t.Fatalf("encodeKey(%q) = %q holds NUL", a, ea)
		}
		if got := decodeKey(ea); got != a {
			t.Fatalf("decodeKey(encodeKey(%q)) = %q", a, got)
		}
		if a != b && ea == encodeKey(b) {
			t.Fatalf("encodeKey(%q) = encodeKey(%q) = %q", a, b, ea)
		}
	})
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := newID()
		if len(id) != 36 || id[14] != '4' || seen[id] {
			t.Fatalf("newID() = %q: want a fresh version 4 UUID", id)
		}
		seen[id] = true
	}
}
