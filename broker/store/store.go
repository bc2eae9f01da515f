package store

import (
	"context"
	"time"
)

// Store is the broker's durable state. Implementations are safe for
// concurrent use by many goroutines and, for PostgreSQL, many processes.
//
// Errors: ErrNotFound, ErrConflict and ErrInvalid are returned wrapped and are
// checked with errors.Is; ErrInvalid is also a permanent fault (package
// fault). An unreachable, failing or overloaded database is reported as a
// transient fault with reason "store_unavailable" ("store_busy" when
// serialization retries ran out), so that the message being handled is nacked
// and retried.
type Store interface {
	// Update runs fn in one serialisable read-write transaction; fn's effects
	// and every outbox row it enqueues commit together or not at all. If fn
	// returns an error the transaction is rolled back and that error is
	// returned unchanged (unless it is a serialization failure that retries
	// could not overcome). A backend may run fn more than once (PostgreSQL
	// retries serialization failures), so fn must have no effect outside tx
	// and must not call other Store methods (SQLite has one writer: that
	// would deadlock).
	Update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// View runs fn in a read-only transaction that sees one consistent
	// snapshot. Write methods of tx fail with ErrInvalid.
	View(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	Outbox
	JobClaims
	Gauges
	ClusterClaims

	// Close releases the database; call it once every transaction has ended.
	Close() error
}

// Tx is what Update and View hand to their callback. It is only valid until
// the callback returns.
type Tx interface {
	Processed
	OutboxWriter
	Directory
	IdentityLinks
	Decisions
	Jobs
	Grants
	Effects
	Logins
	Checkpoints
	Approvals
	Clusters
	Bindings
}

// Processed deduplicates deliveries.
type Processed interface {
	// MarkProcessed records key as processed at the given time, with the
	// digest of what was processed ("" when not known), and reports whether
	// this is the first time. Keys are EventKey(source, id) for CloudEvents,
	// or a Pub/Sub message id for anything else. Under concurrency exactly
	// one committed transaction sees first == true; a repeated mark keeps
	// the first digest.
	MarkProcessed(ctx context.Context, key, digest string, at time.Time) (first bool, err error)
	// IsProcessed reports whether key was marked processed (and not pruned).
	// It reads only: use it to skip work, and MarkProcessed to claim it.
	IsProcessed(ctx context.Context, key string) (bool, error)
	// ProcessedDigest returns the digest recorded with a processed key and
	// whether the key is processed at all.
	ProcessedDigest(ctx context.Context, key string) (digest string, processed bool, err error)
	// PruneProcessed forgets keys processed before the given time (the
	// retention window) and returns how many it removed.
	PruneProcessed(ctx context.Context, before time.Time) (int64, error)
}

// OutboxWriter enqueues messages to be published once the transaction commits.
type OutboxWriter interface {
	// Enqueue stores m and returns it with ID and CreatedAt set. Seq and
	// Hash must be unset (ErrInvalid): an audit record (Chain) gets them
	// from SequenceAudit after commit, so that no transaction waits for
	// another to extend the chain. (Topic, EventID) is unique: a second
	// message with both equal is ErrConflict.
	Enqueue(ctx context.Context, m OutboxMessage) (OutboxMessage, error)
	// ChainHead returns the audit chain's last seq and hash (0 and "" when
	// empty). It only reads: the sequencer alone moves the head.
	ChainHead(ctx context.Context) (seq int64, hash string, err error)
}

// Outbox is the relay side of the transactional outbox. Each method runs in
// its own short transaction.
type Outbox interface {
	// ClaimOutbox leases up to limit unsent messages to owner for the lease
	// duration and returns them in ID order. A message is claimable when it
	// was never claimed or its lease has expired; concurrent callers never
	// receive the same message while a lease holds. Each claim increments
	// the message's Attempts.
	ClaimOutbox(ctx context.Context, owner string, limit int, lease time.Duration) ([]OutboxMessage, error)
	// MarkSent records the messages as published. Unknown ids are ignored;
	// marking twice keeps the first SentAt.
	MarkSent(ctx context.Context, ids ...int64) error
	// AuditTrail returns up to limit chained messages with Seq > afterSeq in
	// Seq order, sent or not (limit <= 0: all). Chained messages are never
	// pruned.
	AuditTrail(ctx context.Context, afterSeq int64, limit int) ([]OutboxMessage, error)
	// PruneOutbox deletes messages that are sent, not chained, and were sent
	// before the given time, and returns how many it removed.
	PruneOutbox(ctx context.Context, sentBefore time.Time) (int64, error)
	// SequenceAudit chains up to limit committed audit records that have no
	// Seq yet, in ID order, and returns how many it chained. Each gets the
	// next seq after the head and link's hash over its predecessor's; the
	// records and the head move in one transaction, under a lock that lets
	// one sequencer at a time run, whichever process calls it. ID order is
	// commit order for records whose transactions did not overlap, so a
	// request's records (written by transactions one after another) keep
	// their causal order. An error from link rolls the batch back.
	SequenceAudit(ctx context.Context, limit int, link Linker) (int, error)
	// UnchainedAudit counts the audit records not chained yet and returns
	// the creation time of the oldest (zero when there is none).
	UnchainedAudit(ctx context.Context) (n int64, oldest time.Time, err error)
}

// Directory holds users and groups as provisioned through SCIM.
//
// userName, group displayName and e-mail addresses compare
// case-insensitively (as folded by strings.ToLower). Lists are in a stable
// order: creation time, then id.
type Directory interface {
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByName finds a user by userName, case-insensitively.
	GetUserByName(ctx context.Context, userName string) (User, error)
	// FindUserByEmail returns the one user whose primary e-mail address is
	// email (case-insensitive), counting a user's only address as primary:
	// a secondary address (an alias that may be recycled, or one the user
	// may edit) never identifies anyone. It returns ErrNotFound when there
	// is none and ErrConflict when several users share it: an identity must
	// not be resolved by guessing. Use ListUsers with UserQuery.Email to see
	// every user with an address.
	FindUserByEmail(ctx context.Context, email string) (User, error)
	// FindUserByExternalID returns the one user with that externalId (the
	// provisioning IdP's id for the user, compared exactly), ErrNotFound or
	// ErrConflict.
	FindUserByExternalID(ctx context.Context, externalID string) (User, error)
	// ListUsers returns the users matching every non-empty field of q.
	ListUsers(ctx context.Context, q UserQuery) ([]User, error)
	// CountUsers counts the users matching q, ignoring Offset and Limit.
	CountUsers(ctx context.Context, q UserQuery) (int, error)
	// PutUser inserts u (Version 0; an empty ID gets a random one) or
	// replaces the stored user whose Version equals u.Version, and returns
	// the stored user with Version incremented and timestamps set. A stale
	// Version or a userName taken by another user is ErrConflict. Locked and
	// LockReason are taken from u only on insert: afterwards only
	// SetUserLocked changes them, so that a SCIM write can never unlock a
	// leaver by accident.
	PutUser(ctx context.Context, u User) (User, error)
	// DeleteUser removes the user and their group memberships (bumping the
	// Version of each group they left).
	DeleteUser(ctx context.Context, id string) error
	// SetUserLocked locks or unlocks a user and reports whether that changed
	// anything. It does not change Version: the lock is the broker's state,
	// not part of the SCIM resource.
	SetUserLocked(ctx context.Context, id string, locked bool, reason string) (changed bool, err error)

	GetGroup(ctx context.Context, id string) (Group, error)
	// GetGroupByName finds a group by displayName, case-insensitively.
	GetGroupByName(ctx context.Context, displayName string) (Group, error)
	// ListGroups returns the groups matching every non-empty field of q.
	ListGroups(ctx context.Context, q GroupQuery) ([]Group, error)
	// CountGroups counts the groups matching q, ignoring Offset and Limit.
	CountGroups(ctx context.Context, q GroupQuery) (int, error)
	// PutGroup inserts or replaces a group, members included, with the same
	// Version rules as PutUser. A member that is not a user is ErrNotFound.
	PutGroup(ctx context.Context, g Group) (Group, error)
	DeleteGroup(ctx context.Context, id string) error
	// SetMembers replaces the group's members and returns the user ids added
	// and removed, sorted. Any change bumps the group's Version.
	SetMembers(ctx context.Context, groupID string, userIDs []string) (added, removed []string, err error)
	// AddMembers adds users to a group and returns those not already members.
	AddMembers(ctx context.Context, groupID string, userIDs ...string) (added []string, err error)
	// RemoveMembers removes users from a group and returns those that were
	// members.
	RemoveMembers(ctx context.Context, groupID string, userIDs ...string) (removed []string, err error)
	// GroupsOf returns the groups the user belongs to, sorted by displayName,
	// without their Members (nil): it is on the hot path of every decision.
	GroupsOf(ctx context.Context, userID string) ([]Group, error)
}

// IdentityLinks maps an issuer's subjects (OIDC iss + sub) to directory
// users, for issuers whose tokens the directory cannot match by e-mail or
// externalId. A user's links go with the user when it is deleted.
type IdentityLinks interface {
	// LinkIdentity links (issuer, subject) to the user, replacing any link
	// of that pair to another user. An unknown user is ErrNotFound.
	LinkIdentity(ctx context.Context, issuer, subject, userID string) error
	// UnlinkIdentity removes the link of (issuer, subject) and reports
	// whether there was one.
	UnlinkIdentity(ctx context.Context, issuer, subject string) (bool, error)
	// FindUserByIdentity returns the user (issuer, subject) is linked to, or
	// ErrNotFound.
	FindUserByIdentity(ctx context.Context, issuer, subject string) (User, error)
	// IdentityLinksOf returns the user's links, sorted by issuer and subject.
	IdentityLinksOf(ctx context.Context, userID string) ([]IdentityLink, error)
}

// IdentityLink is one (issuer, subject) pair linked to a user.
type IdentityLink struct {
	Issuer, Subject, UserID string
	CreatedAt               time.Time
}

// Effects claims effects that must happen once per request, such as minting
// its credential, across concurrent deliveries and workers.
type Effects interface {
	// ClaimEffect gives key to holder until now+lease and reports whether
	// holder has it: true when the key was free, its claim had expired, or
	// holder already held it (the lease is then renewed).
	ClaimEffect(ctx context.Context, key, holder string, now time.Time, lease time.Duration) (bool, error)
	// ReleaseEffect ends holder's claim on key (no-op if another holds it).
	ReleaseEffect(ctx context.Context, key, holder string) error
}

// Decisions records the outcome of each job request exactly once.
type Decisions interface {
	// RecordDecision stores d unless a decision for d.RequestKey exists, in
	// which case it keeps the first and returns first == false.
	RecordDecision(ctx context.Context, d Decision) (first bool, err error)
	GetDecision(ctx context.Context, requestKey string) (Decision, error)
	// ResolveDecision settles a pending decision (OutcomePending: the
	// request waits for approvers) as approved or denied, with the audit
	// event that says so and the reason codes added, and reports whether it
	// was pending. A settled decision never changes again.
	ResolveDecision(ctx context.Context, requestKey, outcome, eventID string, reasons []string) (bool, error)
}

// Jobs tracks the Dataproc jobs and batches the broker started.
type Jobs interface {
	// PutJob inserts or replaces the job with j.RequestID, keeping CreatedAt.
	// An ended job stays ended.
	PutJob(ctx context.Context, j Job) error
	GetJob(ctx context.Context, requestID string) (Job, error)
	// ListActiveJobs returns up to limit jobs not ended whose NextPollAt is
	// not after dueBefore, soonest first (limit <= 0: all).
	ListActiveJobs(ctx context.Context, dueBefore time.Time, limit int) ([]Job, error)
	// ListActiveJobsByPrincipal returns the principal's jobs not ended, oldest
	// first.
	ListActiveJobsByPrincipal(ctx context.Context, principal string) ([]Job, error)
	// ListActiveJobsByUser returns the jobs not ended of the directory user
	// with that id, oldest first.
	ListActiveJobsByUser(ctx context.Context, userID string) ([]Job, error)
	// UpdateJobState sets the job's state, ended flag and next poll time and
	// reports whether state or ended changed. Attempts counts consecutive
	// updates without a change (for backoff) and resets on a change. A
	// non-empty eventID becomes the job's LastEventID (the audit event that
	// reports the change). An ended job is terminal: updating it changes
	// nothing and reports false.
	UpdateJobState(ctx context.Context, requestID, state string, ended bool, nextPoll time.Time, eventID string) (changed bool, err error)
}

// JobClaims hands each due job to one watcher at a time, so that watchers
// on several workers do not poll Dataproc for the same job.
type JobClaims interface {
	// ClaimDueJobs picks up to limit jobs not ended whose NextPollAt is not
	// after now, soonest due first, moves their NextPollAt to now+lease in
	// the same statement and returns them (carrying the new time) in
	// RequestID order: concurrent callers get disjoint jobs. The claimant
	// reschedules each job with UpdateJobState; a job whose claimant died
	// is due again when the lease runs out.
	ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// ReleaseJobs makes the jobs (those not ended) due at the given time:
	// a watcher that stops mid-round hands back what it did not poll.
	// Unknown ids are ignored.
	ReleaseJobs(ctx context.Context, requestIDs []string, at time.Time) error
}

// Grants tracks the short-lived credentials the broker issued, by
// fingerprint, so that they can be listed and closed.
type Grants interface {
	// PutGrant records a new grant. A grant with the same ID is ErrConflict:
	// a grant is never overwritten, so a revoked one cannot come back.
	PutGrant(ctx context.Context, g Grant) error
	GetGrant(ctx context.Context, id string) (Grant, error)
	// ListActiveGrants returns grants neither revoked nor expired at now,
	// oldest first; principal "" means every principal.
	ListActiveGrants(ctx context.Context, principal string, now time.Time) ([]Grant, error)
	// ListActiveGrantsByUser returns the active grants of the directory
	// user with that id, oldest first.
	ListActiveGrantsByUser(ctx context.Context, userID string, now time.Time) ([]Grant, error)
	// GrantsByRequest returns every grant issued for a request, oldest first.
	GrantsByRequest(ctx context.Context, requestID string) ([]Grant, error)
	// RevokeGrant marks a grant revoked and reports whether it was not
	// revoked before; the first revocation's time and reason are kept.
	RevokeGrant(ctx context.Context, id, reason string, at time.Time) (changed bool, err error)
}
