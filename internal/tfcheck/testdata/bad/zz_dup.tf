variable "project" { # want: variable project declared twice
  type = string
}
