# Cloud Run: the broker worker (`iis serve`) and the SCIM endpoint (`iis scim`).
#
# Each service runs the Cloud SQL Auth Proxy as a sidecar. The app talks plain
# TCP to 127.0.0.1:5432 inside the instance (sslmode=disable is safe there);
# the proxy does mTLS to Cloud SQL and logs in as the service account
# (--auto-iam-authn), so the DSN holds no password and is not a secret.

locals {
  proxy_args = concat(
    [
      "--auto-iam-authn",
      "--port=5432",
      "--structured-logs",
      # Health endpoints for the startup probe below.
      "--health-check",
      "--http-address=0.0.0.0",
      "--http-port=9090",
      # Cloud Run SIGKILLs 10 s after SIGTERM. If the proxy is signalled
      # while the app still drains (8 s, IIS_SHUTDOWN_TIMEOUT), keep
      # accepting connections so acks and audit writes can still commit.
      "--min-sigterm-delay=8s",
      "--exit-zero-on-sigterm",
    ],
    var.sql_private_network == null ? [] : ["--private-ip"],
  )

  dsn = {
    broker = "postgres://${urlencode(local.broker_db_user)}@127.0.0.1:5432/${google_sql_database.iis.name}?sslmode=disable"
    scim   = "postgres://${urlencode(local.scim_db_user)}@127.0.0.1:5432/${google_sql_database.iis.name}?sslmode=disable"
  }

  common_env = {
    IIS_PROJECT         = var.project
    IIS_REQUESTS_TOPIC  = google_pubsub_topic.topic["requests"].name
    IIS_IDENTITY_TOPIC  = google_pubsub_topic.topic["identity"].name
    IIS_AUDIT_TOPIC     = google_pubsub_topic.topic["audit"].name
    IIS_APPROVALS_TOPIC = google_pubsub_topic.topic["approvals"].name
    IIS_LOG_LEVEL       = var.log_level
    IIS_LOG_FORMAT      = "json" # Cloud Logging parses severity/message/time
    # Shutdown must finish inside Cloud Run's 10 s SIGTERM grace period.
    IIS_SHUTDOWN_TIMEOUT = "8s"
  }

  worker_env = merge(local.common_env, {
    IIS_STORE                 = local.dsn.broker
    IIS_SOURCE                = var.event_source
    IIS_REQUESTS_SUBSCRIPTION = google_pubsub_subscription.worker["requests"].name
    IIS_IDENTITY_SUBSCRIPTION = google_pubsub_subscription.worker["identity"].name
    IIS_MAX_OUTSTANDING       = tostring(var.max_outstanding)
    IIS_STREAMS               = tostring(var.streams)
    IIS_POLICY                = "/etc/iis/policy/policy.yaml"
    IIS_ISSUERS               = "/etc/iis/issuers/issuers.yaml"
    IIS_CHECKPOINT_ARCHIVE    = "gs://${google_storage_bucket.checkpoints.name}/"
    IIS_CHECKPOINT_KEY        = google_kms_crypto_key.checkpoints.id
  }, local.label_key_env)

  scim_env = merge(local.common_env, {
    IIS_STORE            = local.dsn.scim
    IIS_SOURCE           = var.scim_event_source
    IIS_SCIM_TOKENS_FILE = "/etc/iis/scim/tokens"
  })

  # The label key secret's ID, when there is one: the worker mounts it.
  label_key     = [for s in data.google_secret_manager_secret.label_key : s.secret_id]
  label_key_env = var.label_key_secret_id == null ? {} : { IIS_LABEL_KEY_FILE = "/etc/iis/label-key/key" }

  # Direct VPC egress, only when the database is private. Private ranges only:
  # Google APIs keep using Google's network, the database goes through the VPC.
  vpc = var.run_subnetwork == null ? [] : [var.run_subnetwork]
}

resource "google_cloud_run_v2_service" "worker" {
  count    = var.worker_enabled ? 1 : 0
  name     = "${var.name_prefix}-worker"
  location = var.region
  # Stateless and re-creatable from this file; protection would only block
  # a planned replacement.
  deletion_protection = false
  # Nothing outside the project needs to reach the worker: it pulls.
  ingress = "INGRESS_TRAFFIC_INTERNAL_ONLY"

  template {
    service_account = google_service_account.broker.email

    # Streaming pull needs an instance that is always up with CPU always
    # allocated (cpu_idle = false below); Cloud Run does not scale on
    # subscription backlog, so size max by hand.
    scaling {
      min_instance_count = var.worker_min_instances
      max_instance_count = var.worker_max_instances
    }

    dynamic "vpc_access" {
      for_each = local.vpc
      content {
        egress = "PRIVATE_RANGES_ONLY"
        network_interfaces {
          subnetwork = vpc_access.value
        }
      }
    }

    containers {
      name       = "iis"
      image      = var.image
      args       = ["serve"]
      depends_on = ["cloud-sql-proxy"]

      # Cloud Run services route to one port and probe it (TCP) at startup;
      # the worker must listen on $PORT.
      ports {
        container_port = 8080
      }

      resources {
        limits            = { cpu = "1", memory = "512Mi" }
        cpu_idle          = false
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.worker_env
        content {
          name  = env.key
          value = env.value
        }
      }

      volume_mounts {
        name       = "policy"
        mount_path = "/etc/iis/policy"
      }

      volume_mounts {
        name       = "issuers"
        mount_path = "/etc/iis/issuers"
      }

      dynamic "volume_mounts" {
        for_each = local.label_key
        content {
          name       = "label-key"
          mount_path = "/etc/iis/label-key"
        }
      }
    }

    containers {
      name  = "cloud-sql-proxy"
      image = var.sql_proxy_image
      args  = concat(local.proxy_args, [google_sql_database_instance.iis.connection_name])

      resources {
        limits   = { cpu = "1", memory = "256Mi" }
        cpu_idle = false
      }

      startup_probe {
        period_seconds    = 2
        timeout_seconds   = 1
        failure_threshold = 30
        http_get {
          path = "/startup"
          port = 9090
        }
      }
    }

    volumes {
      name = "policy"
      secret {
        secret = google_secret_manager_secret.policy.secret_id
        items {
          # Pinned: a policy change rolls a new revision, and rolling back
          # the revision rolls back the policy with it.
          version = google_secret_manager_secret_version.policy.version
          path    = "policy.yaml"
          mode    = 292 # 0444
        }
      }
    }

    volumes {
      name = "issuers"
      secret {
        secret = google_secret_manager_secret.issuers.secret_id
        items {
          version = google_secret_manager_secret_version.issuers.version
          path    = "issuers.yaml"
          mode    = 292
        }
      }
    }

    dynamic "volumes" {
      for_each = local.label_key
      content {
        name = "label-key"
        secret {
          secret = volumes.value
          items {
            version = "latest"
            path    = "key"
            mode    = 292
          }
        }
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_iam_member.broker_policy,
    google_secret_manager_secret_iam_member.broker_issuers,
    google_secret_manager_secret_iam_member.broker_label_key,
    google_project_iam_member.sql,
    google_sql_user.broker,
  ]
}

resource "google_cloud_run_v2_service" "scim" {
  name                = "${var.name_prefix}-scim"
  location            = var.region
  deletion_protection = false
  ingress             = var.scim_ingress
  # Okta and Entra ID authenticate with a SCIM bearer token that the service
  # checks itself; they cannot present a Google identity. Disabling the
  # invoker check (instead of granting allUsers) works under Domain
  # Restricted Sharing.
  invoker_iam_disabled = true

  template {
    service_account                  = google_service_account.scim.email
    timeout                          = "30s"
    max_instance_request_concurrency = 40

    scaling {
      min_instance_count = 0
      max_instance_count = var.scim_max_instances
    }

    dynamic "vpc_access" {
      for_each = local.vpc
      content {
        egress = "PRIVATE_RANGES_ONLY"
        network_interfaces {
          subnetwork = vpc_access.value
        }
      }
    }

    containers {
      name       = "iis"
      image      = var.image
      args       = ["scim"]
      depends_on = ["cloud-sql-proxy"]

      ports {
        container_port = 8080
      }

      resources {
        limits            = { cpu = "1", memory = "512Mi" }
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.scim_env
        content {
          name  = env.key
          value = env.value
        }
      }

      volume_mounts {
        name       = "scim-tokens"
        mount_path = "/etc/iis/scim"
      }
    }

    containers {
      name  = "cloud-sql-proxy"
      image = var.sql_proxy_image
      # Lazy refresh: CPU is throttled between requests here, so a background
      # certificate refresh could stall; fetch on demand instead.
      args = concat(local.proxy_args, ["--lazy-refresh", google_sql_database_instance.iis.connection_name])

      resources {
        limits = { cpu = "1", memory = "256Mi" }
      }

      startup_probe {
        period_seconds    = 2
        timeout_seconds   = 1
        failure_threshold = 30
        http_get {
          path = "/startup"
          port = 9090
        }
      }
    }

    volumes {
      name = "scim-tokens"
      secret {
        secret = data.google_secret_manager_secret.scim_tokens.secret_id
        items {
          version = var.scim_token_secret_version
          path    = "tokens"
          mode    = 292 # 0444: the image may run as a non-root user
        }
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_iam_member.scim_tokens,
    google_project_iam_member.sql,
    google_sql_user.scim,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "worker_invoker" {
  for_each = var.worker_enabled ? toset(var.worker_invokers) : toset([])
  name     = google_cloud_run_v2_service.worker[0].name
  location = google_cloud_run_v2_service.worker[0].location
  role     = "roles/run.invoker"
  member   = each.value
}
