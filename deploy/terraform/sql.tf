# Cloud SQL for PostgreSQL 15: the shared store of every worker.
#
# Authentication is IAM database authentication only: the broker and SCIM
# service accounts log in as themselves through the Cloud SQL Auth Proxy
# (--auto-iam-authn), which fetches a fresh OAuth token per connection. There
# is no application password anywhere, so none can leak from state, env or
# logs. The built-in `postgres` user keeps no password set by Terraform; an
# operator sets one out of band for the one-time grants (README).

resource "google_sql_database_instance" "iis" {
  name                = "${var.name_prefix}-pg"
  database_version    = "POSTGRES_15"
  region              = var.region
  encryption_key_name = var.kms_key_name # must be in var.region
  deletion_protection = var.sql_deletion_protection

  settings {
    tier                        = var.sql_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.sql_high_availability ? "REGIONAL" : "ZONAL"
    deletion_protection_enabled = var.sql_deletion_protection
    disk_autoresize             = true

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }

    # The store is the audit outbox: losing committed rows would lose audit
    # events. Point-in-time recovery bounds that to seconds.
    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7
      backup_retention_settings {
        retained_backups = 14
      }
    }

    ip_configuration {
      # Public IP has no authorized networks: only connectors (IAM-checked,
      # mTLS) get in. Private IP, when a VPC is given, removes even that.
      ipv4_enabled    = var.sql_private_network == null
      private_network = var.sql_private_network
      ssl_mode        = var.sql_ssl_mode
    }

    maintenance_window {
      day          = 7
      hour         = 3
      update_track = "stable"
    }
  }

  lifecycle {
    precondition {
      condition     = var.sql_private_network == null || var.run_subnetwork != null
      error_message = "A private-IP-only database needs run_subnetwork, or Cloud Run cannot reach it."
    }
  }

  depends_on = [google_project_service.api]
}

resource "google_sql_database" "iis" {
  name     = "iis"
  instance = google_sql_database_instance.iis.name
}

resource "google_sql_user" "broker" {
  name     = local.broker_db_user
  instance = google_sql_database_instance.iis.name
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

resource "google_sql_user" "scim" {
  name     = local.scim_db_user
  instance = google_sql_database_instance.iis.name
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}
