# Cloud Monitoring alert policies on the broker's metrics. The broker
# exports them over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. an OpenTelemetry
# Collector sidecar with the googlemanagedprometheus exporter), so they are
# Managed Service for Prometheus metrics and the conditions are PromQL, the
# same queries as the Grafana dashboard (deploy/grafana/iis-dashboard.json).
# Every process on a store reports the same outbox gauges: max, not sum.

variable "alert_notification_channels" {
  description = "Notification channel ids (projects/P/notificationChannels/N) the alerts page. Empty: alerts show in the console only."
  type        = list(string)
  default     = []
}

variable "alert_outbox_age_seconds" {
  description = "Page when the oldest unpublished outbox message (audit or identity event) is older than this for 5 minutes."
  type        = number
  default     = 120
}

variable "alert_revocation_p99_seconds" {
  description = "Page when the p99 of a leaver's revocation (SCIM change to the last cancel) exceeds this over 15 minutes."
  type        = number
  default     = 10
}

variable "alert_decision_error_ratio" {
  description = "Page when this share of decisions fails transiently (issuer, directory or policy unavailable) for 10 minutes."
  type        = number
  default     = 0.05
}

variable "alert_quota_wait_p99_seconds" {
  description = "Page when Dataproc calls of a region wait longer than this for the quota (p99 over 10 minutes): the region's submits and cancels are near its quota."
  type        = number
  default     = 5
}

locals {
  alerts = {
    outbox_age = {
      name     = "outbox lags: audit and identity events are not published"
      query    = "max(iis_outbox_oldest_age_seconds) > ${var.alert_outbox_age_seconds}"
      duration = "300s"
      doc      = "The outbox relay is not publishing: check Pub/Sub publish errors and the relay's logs (\"outbox relay: will retry\"). Until it recovers, SIEM sees no audit events and workers no identity events (leavers are still denied: the lock is in the store)."
    }
    revocation_latency = {
      name     = "leaver revocations are slow"
      query    = "histogram_quantile(0.99, sum by (le) (rate(iis_revocation_latency_seconds_bucket[15m]))) > ${var.alert_revocation_p99_seconds}"
      duration = "0s"
      doc      = "Cascades take long from the SCIM change to the last cancel: look at the identity subscription's backlog, Dataproc cancel errors and quota waits (iis_dataproc_quota_waits_total{priority=\"cancel\"})."
    }
    decision_errors = {
      name     = "decisions fail"
      query    = "sum(rate(iis_decisions_total{outcome=\"error\"}[10m])) / clamp_min(sum(rate(iis_decisions_total[10m])), 1e-9) > ${var.alert_decision_error_ratio}"
      duration = "600s"
      doc      = "Job requests are retried instead of decided: the reason label says whether an issuer (issuer_unavailable), the directory or the policy is unavailable."
    }
    quota_exhaustion = {
      name     = "Dataproc quota exhausted in a region"
      query    = "histogram_quantile(0.99, sum by (le, region) (rate(iis_dataproc_quota_wait_seconds_bucket[10m]))) > ${var.alert_quota_wait_p99_seconds} or sum by (region) (rate(iis_dataproc_calls_total{code=\"ResourceExhausted\"}[10m])) > 0"
      duration = "600s"
      doc      = "Submits wait for the region's Dataproc quota (cancels go first), or Dataproc refuses calls with ResourceExhausted: raise the quota, or -dataproc-quota if it is below the real one."
    }
  }
}

resource "google_monitoring_alert_policy" "iis" {
  for_each     = local.alerts
  project      = var.project
  display_name = "${var.name_prefix}: ${each.value.name}"
  combiner     = "OR"
  severity     = "ERROR"
  conditions {
    display_name = each.value.name
    condition_prometheus_query_language {
      query               = each.value.query
      duration            = each.value.duration
      evaluation_interval = "60s"
    }
  }
  documentation {
    content   = "${each.value.doc} Dashboard: deploy/grafana/iis-dashboard.json; metrics: docs/observability.md."
    mime_type = "text/markdown"
  }
  notification_channels = var.alert_notification_channels
  user_labels           = var.labels
  depends_on            = [google_project_service.api]
}
