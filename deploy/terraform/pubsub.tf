# Topics and subscriptions. IDs match broker/transport.DefaultTopology; the
# settings match what `iis dev` creates locally (transport.Ensure).
#
# No topic has a Pub/Sub schema: events are CloudEvents whose data is JSON
# validated against the JSON Schemas in schemas/ by producers and consumers.
# A Pub/Sub (Avro/protobuf) schema would duplicate that contract and reject a
# new event type or major version at publish time.

locals {
  persistence = length(var.pubsub_persistence_regions) == 0 ? [] : [var.pubsub_persistence_regions]
}

resource "google_pubsub_topic" "topic" {
  for_each     = local.topics
  name         = each.value
  kms_key_name = var.kms_key_name

  # The audit topic keeps 7 days of messages even once acked, so a consumer
  # that lost data (or a new SIEM) can seek back instead of asking the broker
  # to replay. The others need no topic-level retention.
  message_retention_duration = each.key == "audit" ? "604800s" : null

  dynamic "message_storage_policy" {
    for_each = local.persistence
    content {
      allowed_persistence_regions = message_storage_policy.value
    }
  }

  depends_on = [google_project_service.api]
}

# The two worker subscriptions. The broker acks what it can never process
# (after auditing it), so dead-lettering is the backstop for crashes and
# poison messages, not the normal path: hence 100 attempts.
resource "google_pubsub_subscription" "worker" {
  for_each             = toset(["requests", "identity"])
  name                 = local.subscriptions[each.key]
  topic                = google_pubsub_topic.topic[each.key].id
  ack_deadline_seconds = 60

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.topic["dead_letter"].id
    max_delivery_attempts = 100
  }

  retry_policy {
    minimum_backoff = "1s"
    maximum_backoff = "60s"
  }

  # Subscriptions expire after 31 idle days by default; a paused broker must
  # not lose its subscriptions (and the backlog in them).
  expiration_policy {
    ttl = ""
  }
}

# Parks dead-lettered messages for an operator (7 days, the maximum).
# Nothing pulls it automatically: a message here needs a human decision.
resource "google_pubsub_subscription" "dead_letter_hold" {
  name                       = local.subscriptions.dead_letter
  topic                      = google_pubsub_topic.topic["dead_letter"].id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# Optional durable export of the audit trail. Both variants keep the message
# attributes (write_metadata): the CloudEvents context (ce-id, ce-type,
# ce-source, ...) travels in attributes in binary mode, so an export without
# them would lose the ids that link one event to the next.
resource "google_pubsub_subscription" "audit_export" {
  count = var.audit_export.kind == "none" ? 0 : 1
  name  = "iis-audit-export"
  topic = google_pubsub_topic.topic["audit"].id

  dynamic "bigquery_config" {
    for_each = var.audit_export.kind == "bigquery" ? [1] : []
    content {
      table          = "${var.project}.${google_bigquery_table.audit[0].dataset_id}.${google_bigquery_table.audit[0].table_id}"
      write_metadata = true
    }
  }

  dynamic "cloud_storage_config" {
    for_each = var.audit_export.kind == "gcs" ? [1] : []
    content {
      bucket          = google_storage_bucket.audit[0].name
      filename_prefix = "audit/"
      filename_suffix = ".avro"
      max_duration    = "300s"
      avro_config {
        write_metadata = true
      }
    }
  }

  expiration_policy {
    ttl = ""
  }

  # Pub/Sub checks write access when the subscription is created.
  depends_on = [
    google_bigquery_table_iam_member.audit_writer,
    google_storage_bucket_iam_member.audit_writer,
    google_storage_bucket_iam_member.audit_reader,
  ]
}
