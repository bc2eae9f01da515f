# Every mistake tfcheck must find, one per line marked "want".

variable "project" {
  type = string
}

variable "unused" { # want: variable "unused" is declared but never used
  type    = string
  default = "x"
}

variable "only_validated" { # want: variable "only_validated" is declared but never used
  type    = number
  default = 1
  validation {
    condition     = var.only_validated > 0
    error_message = "positive"
  }
}

variable "names" {
  type    = list(string)
  default = []
  validation {
    condition     = length(var.names) < 10
    error_message = "too many"
  }
}

locals {
  topics   = { requests = "r", audit = "a" }
  orphan   = 1 # want: local "orphan" is defined but never used
  typo_ref = var.projcet # want: var.projcet is not declared
}

resource "google_pubsub_topic" "topic" {
  for_each = local.topics
  name     = each.value
  project  = var.project
  labels   = { n = length(var.names), t = local.typo_ref }
}

resource "google_pubsub_topic" "single" {
  name = "x-${count.index}" # want: count.index outside a block with count
}

resource "google_pubsub_subscription" "sub" {
  name  = google_pubsub_topic.topic["requests"].name
  topic = google_pubsub_topic.topic["audits"].id # want: google_pubsub_topic.topic["audits"]: its for_each has no such key
  other = google_pubsub_topic.topic.id           # want: google_pubsub_topic.topic has for_each: index it before reading an attribute
  one   = google_pubsub_topic.single[0].id       # want: google_pubsub_topic.single has neither count nor for_each and takes no index
  gone  = google_pubsub_topic.missing.id         # want: google_pubsub_topic.missing is not a declared resource
  key   = each.key                               # want: each.key outside a block with for_each
  data  = data.google_project.nope.number        # want: data.google_project.nope is not declared
  mod   = module.net.id                          # want: module.net is not declared
  local = local.nothing                          # want: local.nothing is not defined

  dynamic "label" {
    for_each = local.topics
    content {
      key   = label.key
      value = lable.value # want: lable.value is not a declared resource
    }
  }

  lifecycle {
    ignore_changes = [labels] # attribute names, not references
  }

  depends_on = [google_pubsub_topic.topic, google_pubsub_topic.single]
}

output "topics" {
  value = [for k, t in google_pubsub_topic.topic : t.name if k != var.project]
}
