# Secret Manager: the policy file (Terraform-managed, not secret) and the SCIM
# bearer tokens (secret, created and rotated outside Terraform).

# The policy is mounted as a file from Secret Manager because that gives a
# versioned, audited, rollback-able file on Cloud Run without rebuilding the
# image. Its content is not secret, so it may live in Terraform state.
resource "google_secret_manager_secret" "policy" {
  secret_id = "${var.name_prefix}-policy"

  replication {
    user_managed {
      replicas {
        location = var.region
        dynamic "customer_managed_encryption" {
          for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
          content {
            kms_key_name = customer_managed_encryption.value
          }
        }
      }
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_version" "policy" {
  secret      = google_secret_manager_secret.policy.id
  secret_data = file(var.policy_file)
}

# The issuers file, like the policy: not secret, versioned, rolled with the
# worker revision.
resource "google_secret_manager_secret" "issuers" {
  secret_id = "${var.name_prefix}-issuers"

  replication {
    user_managed {
      replicas {
        location = var.region
        dynamic "customer_managed_encryption" {
          for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
          content {
            kms_key_name = customer_managed_encryption.value
          }
        }
      }
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_version" "issuers" {
  secret      = google_secret_manager_secret.issuers.id
  secret_data = file(var.issuers_file)
}

resource "google_secret_manager_secret_iam_member" "broker_issuers" {
  secret_id = google_secret_manager_secret.issuers.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.broker.member
}

# The label key is secret: created outside Terraform like the SCIM tokens
# (README "Apply"), only looked up here.
data "google_secret_manager_secret" "label_key" {
  count     = var.label_key_secret_id == null ? 0 : 1
  secret_id = var.label_key_secret_id
}

resource "google_secret_manager_secret_iam_member" "broker_label_key" {
  count     = var.label_key_secret_id == null ? 0 : 1
  secret_id = data.google_secret_manager_secret.label_key[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.broker.member
}

# The SCIM token secret is only looked up: Terraform reads its metadata, never
# a version, so no token is ever in state or plan output. Create it first:
# README "Apply".
data "google_secret_manager_secret" "scim_tokens" {
  secret_id = var.scim_token_secret_id
}

resource "google_secret_manager_secret_iam_member" "broker_policy" {
  secret_id = google_secret_manager_secret.policy.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.broker.member
}

resource "google_secret_manager_secret_iam_member" "scim_tokens" {
  secret_id = data.google_secret_manager_secret.scim_tokens.id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.scim.member
}
