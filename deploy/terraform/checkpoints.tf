# Audit checkpoints (docs/audit.md#checkpoints): the workers sign the audit
# chain's head with a Cloud KMS key only they may use, and write each signed
# statement to a bucket whose retention policy keeps anyone, the workers and
# the database administrators included, from deleting or replacing it.

resource "google_kms_key_ring" "iis" {
  name     = "${var.name_prefix}-audit"
  location = var.region

  depends_on = [google_project_service.api]
}

resource "google_kms_crypto_key" "checkpoints" {
  name     = "audit-checkpoints"
  key_ring = google_kms_key_ring.iis.id
  purpose  = "ASYMMETRIC_SIGN"

  version_template {
    algorithm        = "EC_SIGN_P256_SHA256"
    protection_level = var.checkpoint_key_protection
  }

  # Rotation of an asymmetric key is a new version (terraform apply after
  # `gcloud kms keys versions create`): the workers move to the newest
  # ENABLED version by themselves. Disable an old version only after a
  # newer one has signed a checkpoint.
  lifecycle {
    prevent_destroy = true
  }
}

# Sign, read the public keys, and list the versions (to find the newest).
resource "google_kms_crypto_key_iam_member" "broker_signs" {
  for_each      = toset(["roles/cloudkms.signerVerifier", "roles/cloudkms.viewer"])
  crypto_key_id = google_kms_crypto_key.checkpoints.id
  role          = each.value
  member        = google_service_account.broker.member
}

resource "google_storage_bucket" "checkpoints" {
  name                        = "${var.project}-${var.name_prefix}-audit-checkpoints"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # Lock it (irreversible) once the period is agreed with compliance:
  # gcloud storage buckets update gs://BUCKET --lock-retention-period
  retention_policy {
    retention_period = var.checkpoint_retention_days * 86400
  }

  depends_on = [google_project_service.api]
}

# Create only: no read, no delete, no overwrite.
resource "google_storage_bucket_iam_member" "broker_checkpoints" {
  bucket = google_storage_bucket.checkpoints.name
  role   = "roles/storage.objectCreator"
  member = google_service_account.broker.member
}
