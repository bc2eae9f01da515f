// Package tfcheck checks a Terraform module offline, with HCL (the parser
// Terraform itself uses) and no provider: every file parses, every
// reference to a variable, local, resource, data source or module is to
// one that exists (and is indexed when it has count or for_each, with a key
// its for_each has when both are literal), every variable is declared and
// used, and a tfvars example sets only declared variables and every
// required one. It also reads the containers of Cloud Run services (image,
// args, environment, mounts) so that a test can hold them against what the
// binary reads.
//
// What it cannot check without the provider's schema: attribute and block
// names of resources, their types, and anything only known at apply time.
package tfcheck
