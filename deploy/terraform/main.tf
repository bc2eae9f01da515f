# Shared lookups, names and API enablement.

data "google_project" "this" {
  project_id = var.project
}

locals {
  # Topic and subscription IDs are the defaults compiled into the binary
  # (broker/transport.DefaultTopology). They are also passed as env vars so
  # that a rename here cannot silently diverge from what the code reads.
  topics = {
    requests    = "iis-requests"
    identity    = "iis-identity"
    audit       = "iis-audit"
    dead_letter = "iis-dead-letter"
    approvals   = "iis-approvals" # requests that wait for approvers, for chat and e-mail bridges
  }
  subscriptions = {
    requests    = "iis-requests-worker"
    identity    = "iis-identity-worker"
    dead_letter = "iis-dead-letter-hold"
  }

  # Pub/Sub's own service agent: it forwards undeliverable messages to the
  # dead-letter topic and writes the optional audit export.
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # Cloud SQL IAM database users are the service-account e-mail without the
  # ".gserviceaccount.com" suffix.
  broker_db_user = trimsuffix(google_service_account.broker.email, ".gserviceaccount.com")
  scim_db_user   = trimsuffix(google_service_account.scim.email, ".gserviceaccount.com")

  apis = [
    "run.googleapis.com",
    "pubsub.googleapis.com",
    "sqladmin.googleapis.com",
    "secretmanager.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # GenerateAccessToken for role accounts
    "dataproc.googleapis.com",
    "bigquery.googleapis.com",
    "storage.googleapis.com",
    "cloudkms.googleapis.com", # audit checkpoint signatures
    "monitoring.googleapis.com", # alert policies (monitoring.tf)
  ]
}

resource "google_project_service" "api" {
  for_each = var.enable_apis ? toset(local.apis) : toset([])
  service  = each.value
  # Never switch an API off on destroy: other workloads in the project may
  # depend on it.
  disable_on_destroy = false
}
