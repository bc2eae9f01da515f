# Destinations of the optional audit export (var.audit_export).

# BigQuery: one row per audit event, partitioned by publish time. `data` is
# JSON so queries can reach into the payload; `attributes` holds the
# CloudEvents context (ce-id, ce-type, ce-source, ...).
resource "google_bigquery_dataset" "audit" {
  count       = var.audit_export.kind == "bigquery" ? 1 : 0
  dataset_id  = replace("${var.name_prefix}_audit", "-", "_")
  location    = var.region
  description = "Dataproc IIS audit trail (exported from the audit topic)."

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_bigquery_table" "audit" {
  count               = var.audit_export.kind == "bigquery" ? 1 : 0
  dataset_id          = google_bigquery_dataset.audit[0].dataset_id
  table_id            = "events"
  deletion_protection = true

  time_partitioning {
    type  = "DAY"
    field = "publish_time"
  }

  # The columns Pub/Sub writes when write_metadata is set and no schema is used.
  schema = jsonencode([
    { name = "subscription_name", type = "STRING", mode = "NULLABLE" },
    { name = "message_id", type = "STRING", mode = "NULLABLE" },
    { name = "publish_time", type = "TIMESTAMP", mode = "NULLABLE" },
    { name = "data", type = "JSON", mode = "NULLABLE" },
    { name = "attributes", type = "JSON", mode = "NULLABLE" },
  ])
}

resource "google_bigquery_table_iam_member" "audit_writer" {
  count      = var.audit_export.kind == "bigquery" ? 1 : 0
  dataset_id = google_bigquery_table.audit[0].dataset_id
  table_id   = google_bigquery_table.audit[0].table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.pubsub_agent
}

# Cloud Storage: Avro files with a retention policy, so an exported record
# cannot be deleted or replaced before retention_days. Lock the policy
# (irreversible) once the period is agreed with compliance.
resource "google_storage_bucket" "audit" {
  count                       = var.audit_export.kind == "gcs" ? 1 : 0
  name                        = "${var.project}-${var.name_prefix}-audit"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  retention_policy {
    retention_period = var.audit_export.retention_days * 86400
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket_iam_member" "audit_writer" {
  count  = var.audit_export.kind == "gcs" ? 1 : 0
  bucket = google_storage_bucket.audit[0].name
  role   = "roles/storage.objectCreator"
  member = local.pubsub_agent
}

resource "google_storage_bucket_iam_member" "audit_reader" {
  count  = var.audit_export.kind == "gcs" ? 1 : 0
  bucket = google_storage_bucket.audit[0].name
  role   = "roles/storage.legacyBucketReader"
  member = local.pubsub_agent
}
