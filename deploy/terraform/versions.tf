# Terraform and provider constraints.
#
# google >= 6.14 is needed for Cloud Run v2 `invoker_iam_disabled` (public SCIM
# endpoint without an allUsers binding, which Domain Restricted Sharing
# forbids) and for sidecar `depends_on`. The upper bound keeps a major provider
# release from changing defaults under an apply.

terraform {
  required_version = ">= 1.5"

  # Remote state, configured at init (-backend-config=bucket=... prefix=...).
  # State holds no secret, but it maps the deployment: keep it off laptops.
  backend "gcs" {}

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14, < 8.0"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region

  # Every resource that takes labels gets these, so cost and inventory
  # reports can find the broker without naming conventions.
  default_labels = merge({ app = "dataproc-iis" }, var.labels)
}
