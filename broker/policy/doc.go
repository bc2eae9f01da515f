// Package policy owns the access policy of the broker: who may run which
// jobs, where, on what data, under which service account.
//
// A policy is a YAML file (GitOps-friendly) of bindings (a group or a user
// to a role), explicit deny rules that always win, and roles (the service
// account to run as, allowed targets, job types and data locations, duration
// and credential-lifetime caps, justification, principal types and an
// optional CEL condition in the style of IAM Conditions). Everything is
// checked when the file is loaded: a policy with an error is refused with
// "file:line: message", patterns are precompiled, CEL is type-checked, and
// bindings are indexed so that evaluation touches only the roles bound to
// the principal.
//
// Evaluation is pure: the same Request under the same policy version gives
// the same Decision. Each Decision carries its reasons, the matched binding
// and role, the policy version (the sha256 of the file) and an input
// snapshot from which RequestFromInput rebuilds the Request for replay.
//
// The package is separate from identity (who the caller is) and decision
// (composing identity, directory and policy) so that it can be linted,
// explained and benchmarked on its own; see docs/policy.md for the language.
package policy
