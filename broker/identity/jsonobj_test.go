package identity

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseObject(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string // name -> raw value
		err  bool
	}{
		{in: `{}`, want: map[string]string{}},
		{in: ` { "a" : 1 , "b":"x,}" ,"c":[1,{"d":"]"}],"e":{"f":null},"g":true,"h":-1.5e3} `,
			want: map[string]string{"a": "1", "b": `"x,}"`, "c": `[1,{"d":"]"}]`, "e": `{"f":null}`, "g": "true", "h": "-1.5e3"}},
		{in: `{"\u0065mail":"x","q\"":"\"y\\"}`, want: map[string]string{"email": `"x"`, `q"`: `"\"y\\"`}},
		{in: `{"a":1,"a":2}`, err: true},
		{in: `{"a":1,"\u0061":2}`, err: true},
		{in: `[1]`, err: true},
		{in: `"a"`, err: true},
		{in: `{"a":1`, err: true},
		{in: `{"a":1}{}`, err: true},
		{in: ``, err: true},
	}
	for _, tt := range tests {
		o, err := parseObject([]byte(tt.in), 4)
		if (err != nil) != tt.err {
			t.Errorf("parseObject(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		got := map[string]string{}
		for _, m := range o {
			got[string(m.name)] = string(m.value)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseObject(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestPlainStrings(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`[]`, []string{}, true},
		{`[ ]`, []string{}, true},
		{`["a"]`, []string{"a"}, true},
		{`[ "a" , "b,c" ]`, []string{"a", "b,c"}, true},
		{`["a\"b"]`, nil, false},
		{`["é"]`, nil, false},
		{`["a",1]`, nil, false},
		{`["a" "b"]`, nil, false},
		{`"a"`, nil, false},
	}
	for _, tt := range tests {
		got, ok := plainStrings([]byte(tt.in))
		if ok != tt.ok || ok && cmp.Diff(tt.want, got) != "" {
			t.Errorf("plainStrings(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseObject(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c"}],"d":"\u00e9"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseObject(b, 4)
		if err != nil {
			return
		}
		for _, m := range o {
			if !jsonValid(m.value) {
				t.Fatalf("parseObject(%q): member %q has invalid value %q", b, m.name, m.value)
			}
			if list, ok := plainStrings(m.value); ok {
				var want []string
				if err := json.Unmarshal(m.value, &want); err != nil || cmp.Diff(want, list, cmpopts.EquateEmpty()) != "" {
					t.Fatalf("plainStrings(%q) = %q, json.Unmarshal = %q, %v", m.value, list, want, err)
				}
			}
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
