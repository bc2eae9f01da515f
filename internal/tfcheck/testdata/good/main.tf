variable "image" {
  type = string
}

variable "on" {
  type    = bool
  default = true
}

locals {
  common = { A = "a", B = "b" }
  env    = merge(local.common, { C = "/etc/app/c.yaml" }, var.on ? { B = "b2" } : {})
}

resource "google_cloud_run_v2_service" "svc" {
  template {
    containers {
      name  = "app"
      image = var.image
      args  = ["serve"]
      env {
        name  = "STATIC"
        value = "1"
      }
      dynamic "env" {
        for_each = local.env
        content {
          name  = env.key
          value = env.value
        }
      }
      volume_mounts {
        name       = "cfg"
        mount_path = "/etc/app/"
      }
    }
    containers {
      name  = "sidecar"
      image = "proxy:1"
      args  = concat(["--x"], [])
    }
  }
}
