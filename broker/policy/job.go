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

// tuningProperties and tuningPrefixes are the other properties a job may
// set: resources and tuning. Everything else is refused (deny by default):
// Spark properties can load code (extraClassPath, -javaagent in
// extraJavaOptions, hive metastore jars), change the identity data is read
// as (spark.hadoop.fs.gs.auth.*), set environment variables or write
// outside the data locations (warehouse, event log).
var tuningProperties = map[string]bool{
	"spark.app.name": true, "spark.default.parallelism": true, "spark.task.maxfailures": true,
	"spark.speculation": true, "spark.serializer": true, "spark.kryoserializer.buffer.max": true,
	"spark.network.timeout": true, "spark.sql.shuffle.partitions": true, "spark.sql.session.timezone": true,
	"spark.sql.autobroadcastjointhreshold": true, "spark.sql.files.maxpartitionbytes": true,
	"spark.sql.sources.partitionoverwritemode": true,
	"spark.executor.memory":                    true, "spark.executor.cores": true, "spark.executor.instances": true,
	"spark.executor.memoryoverhead": true, "spark.driver.memory": true, "spark.driver.cores": true,
	"spark.driver.memoryoverhead": true, "spark.driver.maxresultsize": true,
	"spark.dataproc.driver.compute.tier": true, "spark.dataproc.executor.compute.tier": true,
	"spark.dataproc.driver.disk.size": true, "spark.dataproc.executor.disk.size": true,
	"spark.dataproc.driver.disk.tier": true, "spark.dataproc.executor.disk.tier": true,
	"spark.dataproc.scaling.version": true,
}

var tuningPrefixes = []string{"spark.dynamicallocation.", "spark.sql.adaptive.", "spark.shuffle.", "spark.memory.",
	"spark.sql.parquet.", "spark.sql.orc."}

// allowedProperty reports whether a job may set the property: a URI
// property (held to the data locations) or a resource/tuning one.
func allowedProperty(key string) bool {
	k := propertyKey(key)
	if uriProperties[k] || tuningProperties[k] {
		return true
	}
	for _, p := range tuningPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
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

// fetchPropertyKeys returns the sorted, quoted keys of props that are
// refused (they would fetch code, or are not resource or tuning
// properties), joined by ", ", or "".
func fetchPropertyKeys(props map[string]string) string {
	var keys []string
	for k := range props {
		if fetchProperties[propertyKey(k)] || !allowedProperty(k) {
			keys = append(keys, strconv.Quote(k))
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
