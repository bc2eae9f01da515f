# Identities and least-privilege grants.
#
#   broker (iis serve)  pulls requests/identity, publishes audit/identity,
#                       mints tokens for the role accounts, uses the database.
#   scim   (iis scim)   reachable by the IdPs, so it gets no token-minting
#                       right: it writes the directory and publishes identity
#                       and audit events only.
#   role accounts       what jobs run as. Dataproc rights sit here, not on the
#                       broker: the broker calls Dataproc with a minted token.
#   trigger             identity of Eventarc triggers in the functions variant.
#
# Every grant is on the resource (topic, subscription, account, secret)
# except where the API has no resource-level IAM (Dataproc batches, Cloud SQL
# connect), and those are narrowed by condition where possible.

resource "google_service_account" "broker" {
  account_id   = "${var.name_prefix}-broker"
  display_name = "Dataproc IIS broker worker"
  depends_on   = [google_project_service.api]
}

resource "google_service_account" "scim" {
  account_id   = "${var.name_prefix}-scim"
  display_name = "Dataproc IIS SCIM endpoint"
  depends_on   = [google_project_service.api]
}

resource "google_service_account" "trigger" {
  account_id   = "${var.name_prefix}-trigger"
  display_name = "Dataproc IIS Eventarc trigger (functions variant)"
  depends_on   = [google_project_service.api]
}

resource "google_service_account" "role" {
  for_each     = var.roles
  account_id   = each.value.service_account_id
  display_name = coalesce(each.value.display_name, "Dataproc IIS role ${each.key}")
  description  = "Jobs of IIS role ${each.key} run as this account. Tokens are minted only by the broker."
  depends_on   = [google_project_service.api]
}

# --- Pub/Sub --------------------------------------------------------------------

resource "google_pubsub_subscription_iam_member" "broker_subscriber" {
  for_each     = google_pubsub_subscription.worker
  subscription = each.value.id
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.broker.member
}

resource "google_pubsub_topic_iam_member" "broker_publisher" {
  for_each = toset(["audit", "identity", "approvals"])
  topic    = google_pubsub_topic.topic[each.key].id
  role     = "roles/pubsub.publisher"
  member   = google_service_account.broker.member
}

resource "google_pubsub_topic_iam_member" "scim_publisher" {
  for_each = toset(["audit", "identity"])
  topic    = google_pubsub_topic.topic[each.key].id
  role     = "roles/pubsub.publisher"
  member   = google_service_account.scim.member
}

resource "google_pubsub_topic_iam_member" "request_publisher" {
  for_each = toset(var.request_publishers)
  topic    = google_pubsub_topic.topic["requests"].id
  role     = "roles/pubsub.publisher"
  member   = each.value
}

resource "google_pubsub_topic_iam_member" "audit_subscriber" {
  for_each = toset(var.audit_subscribers)
  topic    = google_pubsub_topic.topic["audit"].id
  role     = "roles/pubsub.subscriber" # carries topics.attachSubscription
  member   = each.value
}

# Chat and e-mail bridges read the requests that wait for approvers. The
# approvers' answers are events on the requests topic: approvers (or the
# bridge that relays their tokens) are request_publishers.
resource "google_pubsub_topic_iam_member" "approvals_subscriber" {
  for_each = toset(var.approval_subscribers)
  topic    = google_pubsub_topic.topic["approvals"].id
  role     = "roles/pubsub.subscriber"
  member   = each.value
}

# Dead-lettering: Pub/Sub's agent must publish to the dead-letter topic and
# subscribe to (ack on) each source subscription, or it silently retries.
resource "google_pubsub_topic_iam_member" "agent_dead_letter" {
  topic  = google_pubsub_topic.topic["dead_letter"].id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "agent_source" {
  for_each     = google_pubsub_subscription.worker
  subscription = each.value.id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Eventarc push (functions variant): Pub/Sub signs the push with an OIDC
# token of the trigger account.
resource "google_service_account_iam_member" "agent_trigger_token" {
  service_account_id = google_service_account.trigger.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# --- Token minting: only on each role account, never project-wide ----------

resource "google_service_account_iam_member" "broker_mints_role" {
  for_each           = google_service_account.role
  service_account_id = each.value.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.broker.member
}

# A batch that runs as the role account is created with the role account's
# own token, so the role account must be allowed to act as itself.
resource "google_service_account_iam_member" "role_acts_as_self" {
  for_each           = google_service_account.role
  service_account_id = each.value.name
  role               = "roles/iam.serviceAccountUser"
  member             = each.value.member
}

# --- Dataproc rights of the role accounts ----------------------------------

resource "google_project_iam_custom_role" "dataproc_submitter" {
  role_id     = replace("${var.name_prefix}_dataproc_submitter", "-", "_")
  title       = "Dataproc IIS job submitter"
  description = "Submit, follow and cancel Dataproc batches and jobs; nothing else."
  permissions = var.role_dataproc_permissions
  depends_on  = [google_project_service.api]
}

# Cluster jobs need clusters.use; granted per cluster, not project-wide.
resource "google_project_iam_custom_role" "dataproc_cluster_user" {
  role_id     = replace("${var.name_prefix}_dataproc_cluster_user", "-", "_")
  title       = "Dataproc IIS cluster user"
  description = "Submit jobs to one named cluster."
  permissions = ["dataproc.clusters.get", "dataproc.clusters.use"]
  depends_on  = [google_project_service.api]
}

locals {
  role_project_grants = merge(
    { for k, sa in google_service_account.role : "${k}/submitter" => { member = sa.member, role = google_project_iam_custom_role.dataproc_submitter.name } },
    # dataproc.worker: what a Serverless batch's execution account needs to run.
    { for k, sa in google_service_account.role : "${k}/worker" => { member = sa.member, role = "roles/dataproc.worker" } },
    merge([for k, r in var.roles : {
      for pr in r.project_roles : "${k}/${pr}" => { member = google_service_account.role[k].member, role = pr }
    }]...),
  )
  role_cluster_grants = merge([for k, r in var.roles : {
    for c in r.clusters : "${k}/${c}" => {
      member  = google_service_account.role[k].member
      region  = split("/", c)[0]
      cluster = split("/", c)[1]
    }
  }]...)
}

resource "google_project_iam_member" "role" {
  for_each = local.role_project_grants
  project  = var.project
  role     = each.value.role
  member   = each.value.member
}

resource "google_dataproc_cluster_iam_member" "role" {
  for_each = local.role_cluster_grants
  region   = each.value.region
  cluster  = each.value.cluster
  role     = google_project_iam_custom_role.dataproc_cluster_user.name
  member   = each.value.member

  lifecycle {
    precondition {
      condition     = contains(var.dataproc_regions, each.value.region)
      error_message = "Cluster ${each.key} is outside dataproc_regions."
    }
  }
}

# --- Cloud SQL: connect and IAM login, on this instance only ---------------

locals {
  sql_condition = {
    title      = "${var.name_prefix}-sql-instance-only"
    expression = "resource.type == 'sqladmin.googleapis.com/Instance' && resource.name == 'projects/${var.project}/instances/${google_sql_database_instance.iis.name}'"
  }
  sql_grants = {
    for pair in setproduct(["broker", "scim"], ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]) :
    "${pair[0]}/${pair[1]}" => {
      member = pair[0] == "broker" ? google_service_account.broker.member : google_service_account.scim.member
      role   = pair[1]
    }
  }
}

resource "google_project_iam_member" "sql" {
  for_each = local.sql_grants
  project  = var.project
  role     = each.value.role
  member   = each.value.member

  condition {
    title      = local.sql_condition.title
    expression = local.sql_condition.expression
  }
}
