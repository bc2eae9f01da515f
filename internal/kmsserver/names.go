package kmsserver

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// idPattern is the form of key ring and crypto key ids in the real API.
var idPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,63}$`)

// locationName is "projects/P/locations/L".
type locationName struct{ project, location string }

func (l locationName) String() string { return "projects/" + l.project + "/locations/" + l.location }

// keyName is a CryptoKey: "projects/P/locations/L/keyRings/R/cryptoKeys/K".
type keyName struct {
	locationName
	keyRing, key string
}

func (k keyName) ring() string   { return k.locationName.String() + "/keyRings/" + k.keyRing }
func (k keyName) String() string { return k.ring() + "/cryptoKeys/" + k.key }

// versionName is ".../cryptoKeys/K/cryptoKeyVersions/N".
type versionName struct {
	keyName
	version int
}

func (v versionName) String() string {
	return v.keyName.String() + "/cryptoKeyVersions/" + strconv.Itoa(v.version)
}

// split checks that name is the fixed words of shape with an id between each,
// and returns the ids.
func split(name string, shape ...string) ([]string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 2*len(shape) {
		return nil, fmt.Errorf("resource name %q is not of the form %s", name, form(shape))
	}
	ids := make([]string, len(shape))
	for i, word := range shape {
		if parts[2*i] != word || parts[2*i+1] == "" {
			return nil, fmt.Errorf("resource name %q is not of the form %s", name, form(shape))
		}
		ids[i] = parts[2*i+1]
	}
	return ids, nil
}

func form(shape []string) string {
	var b strings.Builder
	for i, w := range shape {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(w + "/{" + strings.TrimSuffix(w, "s") + "}")
	}
	return b.String()
}

func parseLocation(name string) (locationName, error) {
	ids, err := split(name, "projects", "locations")
	if err != nil {
		return locationName{}, err
	}
	return locationName{ids[0], ids[1]}, nil
}

func parseRingName(name string) (keyName, error) {
	ids, err := split(name, "projects", "locations", "keyRings")
	if err != nil {
		return keyName{}, err
	}
	if !idPattern.MatchString(ids[2]) {
		return keyName{}, fmt.Errorf("key ring id %q must match %s", ids[2], idPattern)
	}
	return keyName{locationName: locationName{ids[0], ids[1]}, keyRing: ids[2]}, nil
}

func parseKeyName(name string) (keyName, error) {
	ids, err := split(name, "projects", "locations", "keyRings", "cryptoKeys")
	if err != nil {
		return keyName{}, err
	}
	for _, id := range ids[2:] {
		if !idPattern.MatchString(id) {
			return keyName{}, fmt.Errorf("id %q must match %s", id, idPattern)
		}
	}
	return keyName{locationName{ids[0], ids[1]}, ids[2], ids[3]}, nil
}

func parseVersionName(name string) (versionName, error) {
	ids, err := split(name, "projects", "locations", "keyRings", "cryptoKeys", "cryptoKeyVersions")
	if err != nil {
		return versionName{}, err
	}
	k, err := parseKeyName(strings.Join(strings.Split(name, "/")[:8], "/"))
	if err != nil {
		return versionName{}, err
	}
	n, err := strconv.Atoi(ids[4])
	if err != nil || n < 1 || strconv.Itoa(n) != ids[4] {
		return versionName{}, fmt.Errorf("crypto key version id %q is not a positive integer", ids[4])
	}
	return versionName{k, n}, nil
}
