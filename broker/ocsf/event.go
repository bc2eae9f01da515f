package ocsf

// Version is the OCSF schema version of the records.
const Version = "1.1.0"

// Event is one OCSF record: the base event attributes and those of the
// classes this package emits. Unset fields are omitted.
type Event struct {
	ActivityID   int      `json:"activity_id"`
	ActivityName string   `json:"activity_name,omitempty"`
	CategoryUID  int      `json:"category_uid"`
	CategoryName string   `json:"category_name,omitempty"`
	ClassUID     int      `json:"class_uid"`
	ClassName    string   `json:"class_name,omitempty"`
	TypeUID      int      `json:"type_uid"`
	TypeName     string   `json:"type_name,omitempty"`
	SeverityID   int      `json:"severity_id"`
	Severity     string   `json:"severity,omitempty"`
	StatusID     int      `json:"status_id,omitempty"`
	Status       string   `json:"status,omitempty"`
	StatusCode   string   `json:"status_code,omitempty"`
	StatusDetail string   `json:"status_detail,omitempty"`
	Time         int64    `json:"time"` // milliseconds since the Unix epoch
	Message      string   `json:"message,omitempty"`
	Metadata     Metadata `json:"metadata"`

	Actor       *Actor         `json:"actor,omitempty"`
	API         *API           `json:"api,omitempty"`
	SrcEndpoint *Endpoint      `json:"src_endpoint,omitempty"`
	DstEndpoint *Endpoint      `json:"dst_endpoint,omitempty"`
	User        *User          `json:"user,omitempty"`
	Group       *Group         `json:"group,omitempty"`
	Privileges  []string       `json:"privileges,omitempty"`
	Resources   []Resource     `json:"resources,omitempty"`
	Resource    *Resource      `json:"resource,omitempty"`
	Session     *Session       `json:"session,omitempty"`
	Unmapped    map[string]any `json:"unmapped,omitempty"`
}

// Metadata is the OCSF metadata object.
type Metadata struct {
	Version        string   `json:"version"`
	Product        Product  `json:"product"`
	UID            string   `json:"uid,omitempty"`             // the CloudEvent id
	CorrelationUID string   `json:"correlation_uid,omitempty"` // the original request's id
	LogName        string   `json:"log_name,omitempty"`
	LoggedTime     int64    `json:"logged_time,omitempty"`
	Labels         []string `json:"labels,omitempty"`
}

// Product names the producer.
type Product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
}

// Actor is who did it.
type Actor struct {
	User    *User  `json:"user,omitempty"`
	AppName string `json:"app_name,omitempty"`
}

// API is the operation of an API Activity.
type API struct {
	Operation string   `json:"operation"`
	Service   *Service `json:"service,omitempty"`
}

// Service names a service.
type Service struct {
	Name string `json:"name"`
}

// Endpoint is a network or service endpoint, by name.
type Endpoint struct {
	Name    string `json:"name,omitempty"`
	IP      string `json:"ip,omitempty"`
	SvcName string `json:"svc_name,omitempty"`
}

// User is an OCSF user: a person, or a service account (type_id 3: System).
type User struct {
	UID       string  `json:"uid,omitempty"`
	Name      string  `json:"name,omitempty"`
	EmailAddr string  `json:"email_addr,omitempty"`
	TypeID    int     `json:"type_id,omitempty"`
	Type      string  `json:"type,omitempty"`
	Groups    []Group `json:"groups,omitempty"`
}

// Group is an OCSF group.
type Group struct {
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
}

// Resource is an affected resource.
type Resource struct {
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
}

// Session is a credential session.
type Session struct {
	UID            string `json:"uid,omitempty"`
	ExpirationTime int64  `json:"expiration_time,omitempty"`
	Issuer         string `json:"issuer,omitempty"`
}
