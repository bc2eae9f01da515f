# Inputs. Nothing here is a secret: SCIM tokens and database passwords never
# pass through Terraform (see README "Security notes").

variable "project" {
  description = "Project that holds the broker, its topics, its database and the role service accounts."
  type        = string
}

variable "region" {
  description = "Region of Cloud Run, Cloud SQL and the regional secrets. Pick it for data residency."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of service, service-account and instance names, so two environments can share a project."
  type        = string
  default     = "iis"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix: 2-12 chars of [a-z0-9-], starting with a letter (service-account IDs are capped at 30)."
  }
}

variable "labels" {
  description = "Extra labels for every resource."
  type        = map(string)
  default     = {}
}

variable "enable_apis" {
  description = "Enable the Google APIs the broker needs. Turn off where a platform team owns API enablement."
  type        = bool
  default     = true
}

# --- Images ---------------------------------------------------------------

variable "image" {
  description = "Container image of the iis binary (its ENTRYPOINT is iis). Pin it by digest: a tag can be moved under a running deployment."
  type        = string
}

variable "sql_proxy_image" {
  description = "Cloud SQL Auth Proxy v2 image run as a sidecar. Pinned; bump deliberately."
  type        = string
  default     = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.15.2"
}

# --- Role service accounts --------------------------------------------------

variable "roles" {
  description = <<-EOT
    Roles jobs run as, keyed by the role name the policy uses. Each gets its own
    service account; the broker may only mint tokens for these.
      service_account_id: account ID to create (6-30 chars).
      display_name:       optional.
      project_roles:      data-access roles the jobs need (e.g. roles/bigquery.dataViewer).
                          Prefer granting on datasets/buckets outside this module.
      clusters:           "region/cluster" names this role may submit cluster jobs to.
  EOT
  type = map(object({
    service_account_id = string
    display_name       = optional(string)
    project_roles      = optional(list(string), [])
    clusters           = optional(list(string), [])
  }))
  default = {}
  validation {
    condition     = alltrue([for r in values(var.roles) : can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", r.service_account_id))])
    error_message = "roles[*].service_account_id must be a valid service-account ID (6-30 chars of [a-z0-9-])."
  }
}

variable "dataproc_regions" {
  description = "Regions where role jobs may run. Cluster grants outside them are rejected at plan time."
  type        = list(string)
  validation {
    condition     = length(var.dataproc_regions) > 0
    error_message = "dataproc_regions must name at least one region."
  }
}

variable "role_dataproc_permissions" {
  description = "Permissions of the custom role role service accounts get to submit, follow and cancel their own work. Use roles/dataproc.editor instead only if your org forbids custom roles."
  type        = list(string)
  default = [
    "dataproc.batches.create",
    "dataproc.batches.get",
    "dataproc.batches.cancel",
    "dataproc.jobs.create",
    "dataproc.jobs.get",
    "dataproc.jobs.cancel",
    "dataproc.operations.get",
    "dataproc.operations.cancel",
    # Clusters the role's holders ask for: created with the role's token, their VMs running as it.
    "dataproc.clusters.create",
    "dataproc.clusters.get",
  ]
}

# --- Broker settings ----------------------------------------------------------

variable "policy_file" {
  description = "Path of the policy YAML. It is not secret; it is stored in Secret Manager only to mount it as a versioned file."
  type        = string
}

variable "issuers_file" {
  description = "Path of the trusted-issuers YAML (IIS_ISSUERS; see issuers.yaml.example). Required with a policy: a worker that trusts no issuer cannot start. Not secret; stored in Secret Manager only to mount it as a versioned file."
  type        = string
}

variable "label_key_secret_id" {
  description = "Secret Manager secret (created outside Terraform, see README) holding the key of the iis-principal label hash (IIS_LABEL_KEY_FILE). Without it the label is a plain SHA-256 of the principal, which anyone who may list Dataproc jobs can match against a list of e-mail addresses. Null turns it off."
  type        = string
  default     = "iis-label-key"
}

variable "event_source" {
  description = "CloudEvents source of events the workers emit (IIS_SOURCE)."
  type        = string
  default     = "//dataproc-iis/broker"
}

variable "scim_event_source" {
  description = "CloudEvents source of events the SCIM service emits."
  type        = string
  default     = "//dataproc-iis/scim"
}

variable "log_level" {
  description = "IIS_LOG_LEVEL: debug, info, warn or error."
  type        = string
  default     = "info"
  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "max_outstanding" {
  description = "IIS_MAX_OUTSTANDING: messages held at once per subscription per instance (backpressure)."
  type        = number
  default     = 100
}

variable "streams" {
  description = "IIS_STREAMS: streaming-pull streams per subscription per instance."
  type        = number
  default     = 4
}

variable "worker_enabled" {
  description = "Run the worker as a Cloud Run service. Set false only when the Cloud Run functions variant (README) handles the topics, or both would process every message."
  type        = bool
  default     = true
}

variable "worker_min_instances" {
  description = "Always-on worker instances. At least 1: streaming pull only runs while an instance is up."
  type        = number
  default     = 1
  validation {
    condition     = var.worker_min_instances >= 1
    error_message = "worker_min_instances must be at least 1, or nothing pulls the subscriptions."
  }
}

variable "worker_max_instances" {
  description = "Upper bound of worker instances; also bounds database connections."
  type        = number
  default     = 3
}

variable "worker_invokers" {
  description = "Members (e.g. \"serviceAccount:x@p.iam.gserviceaccount.com\") allowed to call the worker's HTTP port, for a push subscription or an uptime check. Empty by default: the worker pulls."
  type        = list(string)
  default     = []
}

# --- SCIM ----------------------------------------------------------------------

variable "scim_token_secret_id" {
  description = "Secret Manager secret (created outside Terraform, see README) holding SCIM bearer tokens, one per line."
  type        = string
  default     = "iis-scim-tokens"
}

variable "scim_token_secret_version" {
  description = "Version of the SCIM token secret to mount. Set a number and bump it to roll tokens through a new revision; \"latest\" is read when the file is read."
  type        = string
  default     = "latest"
}

variable "scim_ingress" {
  description = "Ingress of the SCIM service. INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER behind an external HTTPS load balancer with Cloud Armor is the production choice (and the one VPC-SC allows)."
  type        = string
  default     = "INGRESS_TRAFFIC_ALL"
  validation {
    condition     = contains(["INGRESS_TRAFFIC_ALL", "INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.scim_ingress)
    error_message = "scim_ingress must be a Cloud Run v2 ingress value."
  }
}

variable "scim_max_instances" {
  description = "Upper bound of SCIM instances: caps cost and database connections if someone floods the endpoint."
  type        = number
  default     = 3
}

# --- Pub/Sub access --------------------------------------------------------------

variable "request_publishers" {
  description = "Members allowed to publish job requests (pipelines, Composer, CI)."
  type        = list(string)
  default     = []
}

variable "audit_subscribers" {
  description = "Members allowed to attach their own subscriptions to the audit topic (SIEM, compliance)."
  type        = list(string)
  default     = []
}

variable "approval_subscribers" {
  description = "Members allowed to attach their own subscriptions to the approvals topic (chat and e-mail bridges that tell approvers what waits)."
  type        = list(string)
  default     = []
}

variable "audit_export" {
  description = "Optional export of every audit event: kind = none, bigquery or gcs. retention_days is the minimum retention of exported objects (gcs)."
  type = object({
    kind           = string
    retention_days = optional(number, 400)
  })
  default = { kind = "none" }
  validation {
    condition     = contains(["none", "bigquery", "gcs"], var.audit_export.kind)
    error_message = "audit_export.kind must be none, bigquery or gcs."
  }
}

# --- Database and network ----------------------------------------------------------

variable "sql_tier" {
  description = "Cloud SQL machine tier (Enterprise edition)."
  type        = string
  default     = "db-custom-1-3840"
}

variable "sql_high_availability" {
  description = "REGIONAL (HA) instance. Off only for non-production."
  type        = bool
  default     = true
}

variable "sql_deletion_protection" {
  description = "Protect the instance from terraform destroy and from API deletion."
  type        = bool
  default     = true
}

variable "sql_ssl_mode" {
  description = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED admits only Cloud SQL connectors (the proxy sidecar). ENCRYPTED_ONLY is needed only for the Cloud Run functions variant, which connects directly."
  type        = string
  default     = "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
  validation {
    condition     = contains(["TRUSTED_CLIENT_CERTIFICATE_REQUIRED", "ENCRYPTED_ONLY"], var.sql_ssl_mode)
    error_message = "sql_ssl_mode must be TRUSTED_CLIENT_CERTIFICATE_REQUIRED or ENCRYPTED_ONLY."
  }
}

variable "sql_private_network" {
  description = "VPC (projects/P/global/networks/N) for a private-IP-only instance. Needs Private Service Access on that VPC. Null: public IP with no authorized networks (reachable only through connectors)."
  type        = string
  default     = null
}

variable "run_subnetwork" {
  description = "Subnet (projects/P/regions/R/subnetworks/S) for Cloud Run Direct VPC egress. Required when sql_private_network is set."
  type        = string
  default     = null
}

variable "kms_key_name" {
  description = "Optional CMEK key (projects/P/locations/REGION/keyRings/K/cryptoKeys/C) in var.region for topics, Cloud SQL, the policy secret and the audit export. Service agents need encrypt/decrypt on it first (README)."
  type        = string
  default     = null
}

variable "pubsub_persistence_regions" {
  description = "Regions where Pub/Sub may store messages. Empty: Pub/Sub's default (org policy permitting)."
  type        = list(string)
  default     = []
}

variable "checkpoint_retention_days" {
  description = "How long signed audit checkpoints are kept in their bucket, undeletable (the retention policy)."
  type        = number
  default     = 400
}

variable "checkpoint_key_protection" {
  description = "Protection level of the checkpoint signing key: SOFTWARE or HSM."
  type        = string
  default     = "HSM"
}
