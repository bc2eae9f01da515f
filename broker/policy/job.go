package policy

import (
	"slices"
	"strconv"
	"strings"
)

// uriProperties are Spark properties whose comma-separated values are URIs of
// code or data the job loads: they are held to the role's data locations like
// the job's own URIs, so that a jar cannot be smuggled in through properties.
var uriProperties = map[string]bool{
	"spark.jars":               true,
	"spark.files":              true,
	"spark.archives":           true,
	"spark.submit.pyfiles":     true,
	"spark.yarn.dist.jars":     true,
	"spark.yarn.dist.files":    true,
	"spark.yarn.dist.archives": true,
	"spark.yarn.jars":          true,
	"spark.yarn.archive":       true,
}

// fetchProperties make Spark download code from outside the data locations
// (Maven coordinates, repositories, Ivy settings): always refused.
var fetchProperties = map[string]bool{
	"spark.jars.packages":     true,
	"spark.jars.repositories": true,
	"spark.jars.ivy":          true,
	"spark.jars.ivysettings":  true,
}

// propertyKey folds a property key the way the checks compare it: trimmed and
// lower case, so that " Spark.Jars" is checked like spark.jars.
func propertyKey(k string) string { return strings.ToLower(strings.TrimSpace(k)) }

// jobURI is one URI of a job and where it came from, for messages.
type jobURI struct {
	field string
	index int // position in a list field, or -1
	uri   string
}

func (u jobURI) String() string {
	f := u.field
	if u.index >= 0 {
		f += "[" + strconv.Itoa(u.index) + "]"
	}
	return f + " " + strconv.Quote(u.uri)
}

// eachURI calls fn with every URI the job reads or writes, in a stable
// order, until fn returns false. An empty entry of a list is passed as
// "(empty)" so that it is refused rather than skipped.
func eachURI(j *Job, fn func(jobURI) bool) {
	for _, f := range [...]struct {
		field string
		uri   string
	}{{"main_jar_uri", j.MainJarURI}, {"main_python_uri", j.MainPythonURI}, {"query_uri", j.QueryURI}} {
		if f.uri != "" && !fn(jobURI{f.field, -1, f.uri}) {
			return
		}
	}
	for _, list := range [...]struct {
		field string
		uris  []string
	}{{"jar_uris", j.JarURIs}, {"file_uris", j.FileURIs}, {"python_uris", j.PythonURIs}, {"inputs", j.Inputs}, {"outputs", j.Outputs}} {
		for i, u := range list.uris {
			if u == "" {
				u = "(empty)"
			}
			if !fn(jobURI{list.field, i, u}) {
				return
			}
		}
	}
	if len(j.Properties) == 0 {
		return
	}
	var keys []string
	for k := range j.Properties {
		if uriProperties[propertyKey(k)] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		key := propertyKey(k)
		for u := range strings.SplitSeq(j.Properties[k], ",") {
			u = strings.TrimSpace(u)
			if strings.HasSuffix(key, "archives") || key == "spark.yarn.archive" {
				u, _, _ = strings.Cut(u, "#") // archive alias: gs://b/env.tgz#env
			}
			if u != "" && !fn(jobURI{"properties[" + strconv.Quote(k) + "]", -1, u}) {
				return
			}
		}
	}
}

// fetchPropertyKeys returns the sorted, quoted keys of props that would
// fetch code from outside the data locations, joined by ", ", or "".
func fetchPropertyKeys(props map[string]string) string {
	var keys []string
	for k := range props {
		if fetchProperties[propertyKey(k)] {
			keys = append(keys, strconv.Quote(k))
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
