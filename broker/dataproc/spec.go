package dataproc

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Target is where a job runs. It mirrors the job request payload's target,
// field for field, so that events.Target converts to it.
type Target struct {
	Project string `json:"project"`
	Region  string `json:"region"`
	Cluster string `json:"cluster,omitempty"` // empty: a Dataproc Serverless batch
}

// JobSpec is what runs. It mirrors the job request payload's job, field for
// field, so that events.JobSpec converts to it. Inputs and Outputs are
// declarations for policy and audit; they are not sent to Dataproc.
type JobSpec struct {
	Type          string            `json:"type"` // TypeSpark, TypePySpark or TypeSparkSQL
	MainClass     string            `json:"main_class,omitempty"`
	MainJarURI    string            `json:"main_jar_uri,omitempty"`
	MainPythonURI string            `json:"main_python_uri,omitempty"`
	QueryURI      string            `json:"query_uri,omitempty"`
	Args          []string          `json:"args,omitempty"`
	JarURIs       []string          `json:"jar_uris,omitempty"`
	FileURIs      []string          `json:"file_uris,omitempty"`
	PythonURIs    []string          `json:"python_uris,omitempty"`
	Properties    map[string]string `json:"properties,omitempty"`
	Inputs        []string          `json:"inputs,omitempty"`
	Outputs       []string          `json:"outputs,omitempty"`
}

// Job types.
const (
	TypeSpark    = "spark"
	TypePySpark  = "pyspark"
	TypeSparkSQL = "spark_sql"
)

// Request is one approved job request to run.
type Request struct {
	// Key identifies the request across redeliveries (the job request's
	// id); every Dataproc id is derived from it. Required.
	Key string
	// RequestID is the broker's request id, shown in the iis-request label;
	// empty means Key.
	RequestID string
	// Principal is the requester's stable id; only a keyed hash of it
	// reaches Dataproc.
	Principal string
	// Role is the approved role, shown in the iis-role label.
	Role   string
	Target Target
	Job    JobSpec
	// Labels are the requester's own labels, checked against Dataproc's
	// rules; keys starting with "iis-" or "goog-" are reserved.
	Labels map[string]string
	// MaxDuration, when set, becomes a batch's TTL (clamped to Dataproc's
	// 10 minutes to 14 days). Cluster jobs have no TTL: the watcher enforces it.
	MaxDuration time.Duration
}

var (
	projectRE = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	regionRE  = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
	clusterRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,49}[a-z0-9])?$`)
	// Label rules of Dataproc: lowercase letters, digits, '_' and '-'; keys
	// start with a letter; at most 63 characters each.
	labelKeyRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	labelValueRE = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
)

// allowedSchemes are the URI schemes a job may reference.
var allowedSchemes = []string{"gs://", "hdfs://", "file://"}

const (
	maxLabels = 32
	minTTL    = 10 * time.Minute
	maxTTL    = 14 * 24 * time.Hour
)

func (r Request) validate() error {
	if r.Key == "" {
		return fmt.Errorf("empty request key")
	}
	if err := r.Target.validate(); err != nil {
		return err
	}
	if err := r.Job.validate(); err != nil {
		return err
	}
	if r.MaxDuration < 0 {
		return fmt.Errorf("negative max duration %v", r.MaxDuration)
	}
	if len(r.Labels) > maxLabels-len(reservedLabels) {
		return fmt.Errorf("%d labels, at most %d allowed", len(r.Labels), maxLabels-len(reservedLabels))
	}
	for k, v := range r.Labels {
		if strings.HasPrefix(k, "iis-") || strings.HasPrefix(k, "goog-") {
			return fmt.Errorf("label %q uses a reserved prefix", k)
		}
		if !labelKeyRE.MatchString(k) || !labelValueRE.MatchString(v) {
			return fmt.Errorf("label %q=%q breaks Dataproc's label rules (lowercase letters, digits, '_', '-')", k, v)
		}
	}
	return nil
}

func (t Target) validate() error {
	if !projectRE.MatchString(t.Project) {
		return fmt.Errorf("invalid project %q", t.Project)
	}
	if !regionRE.MatchString(t.Region) {
		return fmt.Errorf("invalid region %q", t.Region)
	}
	if t.Cluster != "" && !clusterRE.MatchString(t.Cluster) {
		return fmt.Errorf("invalid cluster name %q", t.Cluster)
	}
	return nil
}

func (j JobSpec) validate() error {
	set := func(s string) bool { return s != "" }
	switch j.Type {
	case TypeSpark:
		if set(j.MainClass) == set(j.MainJarURI) {
			return fmt.Errorf("spark job needs exactly one of main_class and main_jar_uri")
		}
		if set(j.MainPythonURI) || set(j.QueryURI) || len(j.PythonURIs) > 0 {
			return fmt.Errorf("spark job takes no python or query file")
		}
	case TypePySpark:
		if !set(j.MainPythonURI) {
			return fmt.Errorf("pyspark job needs main_python_uri")
		}
		if set(j.MainClass) || set(j.MainJarURI) || set(j.QueryURI) {
			return fmt.Errorf("pyspark job takes no main class, main jar or query file")
		}
	case TypeSparkSQL:
		if !set(j.QueryURI) {
			return fmt.Errorf("spark_sql job needs query_uri")
		}
		if set(j.MainClass) || set(j.MainJarURI) || set(j.MainPythonURI) || len(j.PythonURIs) > 0 || len(j.FileURIs) > 0 {
			return fmt.Errorf("spark_sql job takes only a query file, jars, variables (args) and properties")
		}
		if _, err := sqlVariables(j.Args); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown job type %q (want %s, %s or %s)", j.Type, TypeSpark, TypePySpark, TypeSparkSQL)
	}
	uris := append([]string{j.MainJarURI, j.MainPythonURI, j.QueryURI}, j.JarURIs...)
	uris = append(append(uris, j.FileURIs...), j.PythonURIs...)
	for _, u := range uris {
		if u != "" && !validURI(u) {
			return fmt.Errorf("URI %q: want %s with no spaces", u, strings.Join(allowedSchemes, ", "))
		}
	}
	for k := range j.Properties {
		if k == "" || strings.ContainsAny(k, " \t\n=") {
			return fmt.Errorf("invalid property name %q", k)
		}
	}
	return nil
}

func validURI(u string) bool {
	if strings.ContainsAny(u, " \t\n") {
		return false
	}
	for _, s := range allowedSchemes {
		if rest, ok := strings.CutPrefix(u, s); ok && rest != "" {
			return true
		}
	}
	return false
}

// sqlVariables reads Spark SQL variables from args of the form name=value.
func sqlVariables(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	vars := make(map[string]string, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("spark_sql argument %q: want name=value", a)
		}
		vars[k] = v
	}
	return vars, nil
}
