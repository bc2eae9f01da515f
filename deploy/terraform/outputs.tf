# Outputs carry names and addresses only: no token, password or key.

output "scim_url" {
  description = "Base URL of the SCIM service. IdPs use this plus the SCIM path iis scim serves (README)."
  value       = google_cloud_run_v2_service.scim.uri
}

output "worker_service" {
  description = "Cloud Run service running iis serve (null when worker_enabled is false)."
  value       = one(google_cloud_run_v2_service.worker[*].name)
}

output "service_accounts" {
  description = "E-mails of the broker, SCIM and Eventarc-trigger identities."
  value = {
    broker  = google_service_account.broker.email
    scim    = google_service_account.scim.email
    trigger = google_service_account.trigger.email
  }
}

output "role_service_accounts" {
  description = "Role name => service account jobs of that role run as (for the policy file)."
  value       = { for k, sa in google_service_account.role : k => sa.email }
}

output "topics" {
  description = "Topic IDs by purpose."
  value       = { for k, t in google_pubsub_topic.topic : k => t.name }
}

output "subscriptions" {
  description = "Subscription IDs by purpose."
  value = merge(
    { for k, s in google_pubsub_subscription.worker : k => s.name },
    { dead_letter = google_pubsub_subscription.dead_letter_hold.name },
    var.audit_export.kind == "none" ? {} : { audit_export = google_pubsub_subscription.audit_export[0].name },
  )
}

output "sql_connection_name" {
  description = "Instance connection name (PROJECT:REGION:INSTANCE) for the proxy and for operators."
  value       = google_sql_database_instance.iis.connection_name
}

output "database_users" {
  description = "IAM database users to grant in the one-time SQL step (README)."
  value       = { broker = google_sql_user.broker.name, scim = google_sql_user.scim.name }
}

output "dataproc_endpoints" {
  description = "Regional Dataproc endpoints the broker must use (the global endpoint is not accepted)."
  value       = { for r in var.dataproc_regions : r => "${r}-dataproc.googleapis.com:443" }
}

output "policy_secret_version" {
  description = "Secret Manager version the worker mounts as its policy."
  value       = google_secret_manager_secret_version.policy.name
}
