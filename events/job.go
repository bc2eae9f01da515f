package events

// JobRequest is the data of job.requested.v1 (published by pipelines).
type JobRequest struct {
	IDToken       string            `json:"id_token"`                // requester's OIDC ID token: a secret, never copied anywhere else
	Role          string            `json:"role,omitempty"`          // optional role the requester asks for; policy decides
	Target        Target            `json:"target"`                  // where the job runs
	Job           JobSpec           `json:"job"`                     // what runs
	Justification string            `json:"justification,omitempty"` // free text for the audit trail
	MaxDuration   string            `json:"max_duration,omitempty"`  // Go duration, e.g. "2h"
	Labels        map[string]string `json:"labels,omitempty"`        // Dataproc labels to add to the job
}

// Facts returns the request without its ID token and with secret-looking
// property values redacted: what audit events may carry.
func (r JobRequest) Facts() RequestFacts {
	job := r.Job
	job.Properties = RedactProperties(job.Properties)
	return RequestFacts{
		Role: r.Role, Target: r.Target, Job: job, Justification: r.Justification,
		MaxDuration: r.MaxDuration, Labels: r.Labels,
	}
}

// RequestFacts is a JobRequest without its ID token.
type RequestFacts struct {
	Role          string            `json:"role,omitempty"`
	Target        Target            `json:"target"`
	Job           JobSpec           `json:"job"`
	Justification string            `json:"justification,omitempty"`
	MaxDuration   string            `json:"max_duration,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
}

// Target is where a job runs.
type Target struct {
	Project string `json:"project"`
	Region  string `json:"region"`
	Cluster string `json:"cluster,omitempty"` // empty = Dataproc Serverless batch
}

// Job types (JobSpec.Type).
const (
	JobTypeSpark    = "spark"
	JobTypePySpark  = "pyspark"
	JobTypeSparkSQL = "spark_sql"
)

// JobSpec is the Spark workload of a request. A spark job names exactly one of
// MainClass or MainJarURI, a pyspark job MainPythonURI, a spark_sql job
// QueryURI. Every URI is a gs:// URI.
type JobSpec struct {
	Type          string            `json:"type"` // "spark" | "pyspark" | "spark_sql"
	MainClass     string            `json:"main_class,omitempty"`
	MainJarURI    string            `json:"main_jar_uri,omitempty"`
	MainPythonURI string            `json:"main_python_uri,omitempty"`
	QueryURI      string            `json:"query_uri,omitempty"`
	Args          []string          `json:"args,omitempty"`
	JarURIs       []string          `json:"jar_uris,omitempty"`
	FileURIs      []string          `json:"file_uris,omitempty"`
	PythonURIs    []string          `json:"python_uris,omitempty"`
	Properties    map[string]string `json:"properties,omitempty"`
	Inputs        []string          `json:"inputs,omitempty"`  // declared data read (gs:// URIs)
	Outputs       []string          `json:"outputs,omitempty"` // declared data written
}

// CancelRequest is the data of job.cancel_requested.v1.
type CancelRequest struct {
	IDToken   string `json:"id_token"`         // requester's OIDC ID token: a secret
	RequestID string `json:"request_id"`       // id of the job.requested event whose job is to be cancelled
	Reason    string `json:"reason,omitempty"` // free text for the audit trail
}
