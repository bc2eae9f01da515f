package policy

import (
	"errors"
	"fmt"
	"strings"
)

// location is an allowed data location: a bucket and an object path prefix
// ("" for the whole bucket), matched on '/' boundaries so that gs://data-prod
// never matches gs://data-production and gs://b/raw never matches
// gs://b/rawfoo.
type location struct {
	bucket string
	prefix string // "a/b", no leading or trailing '/'
}

func (l location) String() string {
	if l.prefix == "" {
		return "gs://" + l.bucket + "/"
	}
	return "gs://" + l.bucket + "/" + l.prefix + "/"
}

// covers reports whether object path (no leading '/') of bucket falls under l.
func (l location) covers(bucket, path string) bool {
	if bucket != l.bucket {
		return false
	}
	if l.prefix == "" {
		return true
	}
	return strings.HasPrefix(path, l.prefix) && (len(path) == len(l.prefix) || path[len(l.prefix)] == '/')
}

// parseLocation checks an allowed data location from the policy file. It must
// be written canonically: gs://bucket[/prefix[/]], no "." or ".." or empty
// segments, no wildcards or escapes.
func parseLocation(s string) (location, error) {
	bucket, path, err := splitGS(s)
	if errors.Is(err, errNotGS) {
		return location{}, fmt.Errorf("data location %q: not a gs:// URI", s)
	}
	if err != nil {
		return location{}, err
	}
	path = strings.TrimSuffix(path, "/")
	if path != "" {
		for seg := range strings.SplitSeq(path, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.Contains(seg, "*") {
				return location{}, fmt.Errorf("data location %q: write it canonically (no empty, '.', '..' or '*' segments)", s)
			}
		}
	}
	return location{bucket: bucket, prefix: path}, nil
}

var (
	errNotGS     = errors.New("not a gs:// URI")
	errAmbiguous = errors.New("ambiguous URI")
)

// uriPaths parses a job URI into its bucket and two readings of its object
// path: literal (as Cloud Storage reads it: every '/' separates, "." and ".."
// are plain names) and canonical (as Hadoop's Path reads it: empty and "."
// segments dropped, ".." resolved). A URI is allowed only if both readings
// fall under an allowed location, so neither "raw/../secret" nor
// "secret/../raw" escapes a gs://b/raw/ grant. Scheme and bucket are folded
// to lower case (bucket names are lower case in Cloud Storage); object names
// are case-sensitive and compared as written. It allocates only for
// non-canonical or upper-case input.
func uriPaths(uri string) (bucket, literal, canonical string, err error) {
	bucket, literal, err = splitGS(uri)
	if err != nil {
		return "", "", "", err
	}
	canonical, err = canonicalPath(literal)
	if err != nil {
		return "", "", "", err
	}
	return bucket, literal, canonical, nil
}

// canonicalPath drops empty and "." segments and resolves ".." in an object
// path.
func canonicalPath(p string) (string, error) {
	clean := !strings.HasPrefix(p, "/") && !strings.Contains(strings.TrimSuffix(p, "/"), "//")
	for seg := range strings.SplitSeq(p, "/") {
		clean = clean && seg != "." && seg != ".."
	}
	if clean {
		return strings.TrimSuffix(p, "/"), nil
	}
	var out []string
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) == 0 {
				return "", fmt.Errorf("%w: '..' above the bucket", errAmbiguous)
			}
			out = out[:len(out)-1]
		default:
			out = append(out, seg)
		}
	}
	return strings.Join(out, "/"), nil
}

// splitGS splits gs://bucket/a/b into the lower-cased bucket and the object
// path "a/b" as written. It returns errNotGS for other schemes.
func splitGS(s string) (bucket, path string, err error) {
	const scheme = "gs://"
	if len(s) < len(scheme) || !strings.EqualFold(s[:len(scheme)], scheme) {
		return "", "", errNotGS
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' || c == '?' || c == '#' {
			return "", "", fmt.Errorf("%w: control character, '\\', '?' or '#'", errAmbiguous)
		}
	}
	if strings.Contains(s, "%") {
		low := strings.ToLower(s)
		for _, esc := range []string{"%2e", "%2f", "%5c", "%00"} {
			if strings.Contains(low, esc) {
				return "", "", fmt.Errorf("%w: percent-encoded '.', '/', '\\' or NUL", errAmbiguous)
			}
		}
	}
	bucket, path, _ = strings.Cut(s[len(scheme):], "/")
	bucket = strings.ToLower(bucket)
	if !validBucket(bucket) {
		return "", "", fmt.Errorf("%w: bad bucket name %q", errAmbiguous, bucket)
	}
	return bucket, path, nil
}

// validBucket checks a Cloud Storage bucket name: 3 to 222 characters of
// [a-z0-9._-], starting and ending with a letter or digit.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 222 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && c != '-' && c != '_' && c != '.' {
			return false
		}
		if (i == 0 || i == len(b)-1) && !alnum {
			return false
		}
	}
	return true
}
