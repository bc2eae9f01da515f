package policy

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"*", "anything", true},
		{"*", "", true},
		{"data-prod", "data-prod", true},
		{"data-prod", "data-prod2", false},
		{"data-*", "data-prod", true},
		{"data-*", "data-", true},
		{"data-*", "xdata-prod", false},
		{"*-prod", "data-prod", true},
		{"*-prod", "data-prod-2", false},
		{"etl-*-eu", "etl-nightly-eu", true},
		{"etl-*-eu", "etl-eu", false}, // the literal parts must not overlap
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "acb", false},
		{"a**b", "ab", true},
		{"Data-*", "data-x", true}, // patterns are folded to lower case
		{"*a*", "bab", true},
		{"*a*", "bbb", false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pattern)
		if err != nil {
			t.Fatalf("compileGlob(%q) = %v", tt.pattern, err)
		}
		if got := g.match(tt.value); got != tt.want {
			t.Errorf("compileGlob(%q).match(%q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
	for _, bad := range []string{"", "a/b", "a?", "[ab]", "a b", "é"} {
		if _, err := compileGlob(bad); err == nil {
			t.Errorf("compileGlob(%q) = nil error, want an error", bad)
		}
	}
}

func TestURIPaths(t *testing.T) {
	tests := []struct {
		uri                string
		bucket             string
		literal, canonical string
		err                string
	}{
		{uri: "gs://b1b/a/b", bucket: "b1b", literal: "a/b", canonical: "a/b"},
		{uri: "gs://b1b/a/b/", bucket: "b1b", literal: "a/b/", canonical: "a/b"},
		{uri: "gs://b1b", bucket: "b1b"},
		{uri: "gs://b1b/", bucket: "b1b"},
		{uri: "GS://B1B/A", bucket: "b1b", literal: "A", canonical: "A"},
		{uri: "gs://b1b/a/../c", bucket: "b1b", literal: "a/../c", canonical: "c"},
		{uri: "gs://b1b//a/./c", bucket: "b1b", literal: "/a/./c", canonical: "a/c"},
		{uri: "gs://b1b/a//c", bucket: "b1b", literal: "a//c", canonical: "a/c"},
		{uri: "gs://b1b/a/..", bucket: "b1b", literal: "a/..", canonical: ""},
		{uri: "gs://b1b/a%20b", bucket: "b1b", literal: "a%20b", canonical: "a%20b"},
		{uri: "gs://b1b/../c", err: "'..' above the bucket"},
		{uri: "gs://b1b/a%2F..%2fc", err: "percent-encoded"},
		{uri: "gs://b1b/a\\..\\c", err: "control character"},
		{uri: "gs://b1b/a?x=1", err: "control character"},
		{uri: "gs://b1b/a\x00", err: "control character"},
		{uri: "gs://ab/x", err: "bad bucket name"},
		{uri: "gs://-ab/x", err: "bad bucket name"},
		{uri: "gs:///x", err: "bad bucket name"},
		{uri: "file:///etc/passwd", err: "not a gs:// URI"},
		{uri: "gs:/b1b/x", err: "not a gs:// URI"},
	}
	for _, tt := range tests {
		bucket, lit, can, err := uriPaths(tt.uri)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("uriPaths(%q) error = %v, want %q", tt.uri, err, tt.err)
			}
			continue
		}
		if err != nil || bucket != tt.bucket || lit != tt.literal || can != tt.canonical {
			t.Errorf("uriPaths(%q) = %q, %q, %q, %v, want %q, %q, %q", tt.uri, bucket, lit, can, err, tt.bucket, tt.literal, tt.canonical)
		}
	}
}

func TestLocationCovers(t *testing.T) {
	loc, err := parseLocation("gs://data-prod/raw/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		uri  string
		want bool
	}{
		{"gs://data-prod/raw", true},
		{"gs://data-prod/raw/", true},
		{"gs://data-prod/raw/x/y", true},
		{"gs://data-prod/raw//x", true},
		{"gs://data-prod/rawx", false},
		{"gs://data-prod/", false},
		{"gs://data-prod//raw/x", false},
		{"gs://data-prod/raw/../x", false},
		{"gs://data-prod/x/../raw/y", false},
		{"gs://data-production/raw/x", false},
		{"gs://data-pro/raw/x", false},
	}
	for _, tt := range tests {
		b, lit, can, err := uriPaths(tt.uri)
		if err != nil {
			t.Fatalf("uriPaths(%q) = %v", tt.uri, err)
		}
		if got := loc.covers(b, lit) && loc.covers(b, can); got != tt.want {
			t.Errorf("%v covers %q = %v, want %v", loc, tt.uri, got, tt.want)
		}
	}
}
