package policy

import "time"

// Principal types.
const (
	TypeHuman    = "human"
	TypeWorkload = "workload"
)

// Job types the policy knows.
const (
	JobSpark    = "spark"
	JobPySpark  = "pyspark"
	JobSparkSQL = "spark_sql"
)

// Request is what the policy decides on. The principal comes from verified
// claims and the directory (never from the request body); the rest comes from
// the job request. Its JSON form (see MarshalJSON) leaves the principal out.
type Request struct {
	Principal     Principal     `cel:"-"`
	Role          string        `cel:"role"` // requested role; empty lets the policy pick
	Target        Target        `cel:"target"`
	Job           Job           `cel:"job"`
	Justification string        `cel:"justification"`
	MaxDuration   time.Duration `cel:"max_duration"` // requested run time; zero means the role's cap
	Time          time.Time     `cel:"time"`         // decision time; zero means now
}

// Principal is the verified requester.
type Principal struct {
	ID     string   `cel:"id" json:"id"`
	Email  string   `cel:"email" json:"email,omitempty"`
	Type   string   `cel:"type" json:"type"` // TypeHuman or TypeWorkload
	Issuer string   `cel:"issuer" json:"issuer,omitempty"`
	Groups []string `cel:"groups" json:"groups,omitempty"`
}

// Target is where the job would run. An empty Cluster means a Dataproc
// Serverless batch.
type Target struct {
	Project string `cel:"project" json:"project"`
	Region  string `cel:"region" json:"region"`
	Cluster string `cel:"cluster" json:"cluster,omitempty"`
}

// Job is the job to run. Every URI (main file, jars, files, python files,
// declared inputs and outputs, and URI-bearing Spark properties) must fall
// under the role's data locations.
type Job struct {
	Type          string            `cel:"type" json:"type"`
	MainClass     string            `cel:"main_class" json:"main_class,omitempty"`
	MainJarURI    string            `cel:"main_jar_uri" json:"main_jar_uri,omitempty"`
	MainPythonURI string            `cel:"main_python_uri" json:"main_python_uri,omitempty"`
	QueryURI      string            `cel:"query_uri" json:"query_uri,omitempty"`
	Args          []string          `cel:"args" json:"args,omitempty"`
	JarURIs       []string          `cel:"jar_uris" json:"jar_uris,omitempty"`
	FileURIs      []string          `cel:"file_uris" json:"file_uris,omitempty"`
	PythonURIs    []string          `cel:"python_uris" json:"python_uris,omitempty"`
	Properties    map[string]string `cel:"properties" json:"properties,omitempty"`
	Inputs        []string          `cel:"inputs" json:"inputs,omitempty"`
	Outputs       []string          `cel:"outputs" json:"outputs,omitempty"`
}

// Decision is the outcome of Evaluate: allowed or not, why, and everything
// needed to audit and replay it.
type Decision struct {
	Allowed            bool           `json:"allowed"`
	Reasons            []Reason       `json:"reasons"`
	Binding            string         `json:"binding,omitempty"` // e.g. "group:data-eng"
	Role               string         `json:"role,omitempty"`
	ServiceAccount     string         `json:"service_account,omitempty"`
	MaxDuration        time.Duration  `json:"max_duration,omitempty"`
	CredentialLifetime time.Duration  `json:"credential_lifetime,omitempty"`
	Version            string         `json:"policy_version"`
	Input              map[string]any `json:"input"` // snapshot for replay; never a token
	// Approval, when set, says the role allows the request once approvers
	// approve it (Allowed is false until then; Binding, Role and the limits
	// are those of the role that would allow it).
	Approval *Approval `json:"approval,omitempty"`
}

// Reason explains one step of a decision. Role names the role the reason is
// about, if any.
type Reason struct {
	Code    string `json:"code"`
	Role    string `json:"role,omitempty"`
	Message string `json:"message"`
}

// Reason codes of policy decisions.
const (
	CodeAllowed             = "allowed"
	CodeNoBinding           = "no_binding"     // no role is bound to the principal
	CodeRoleNotBound        = "role_not_bound" // the requested role is not bound to the principal
	CodeDenied              = "denied_by_rule" // an explicit deny rule matched
	CodePrincipalType       = "principal_type_not_allowed"
	CodeTarget              = "target_not_allowed"
	CodeJobType             = "job_type_not_allowed"
	CodeDataLocation        = "data_location_not_allowed"
	CodeDataLocationInvalid = "data_location_invalid" // a URI that cannot be interpreted safely
	CodeProperty            = "property_not_allowed"
	CodeMaxDuration         = "max_duration_exceeded"
	CodeJustification       = "justification_required"
	CodeConditionFalse      = "condition_false"
	CodeConditionError      = "condition_error"
	CodePrincipalInvalid    = "principal_invalid" // no principal id, or an unknown principal type
)
