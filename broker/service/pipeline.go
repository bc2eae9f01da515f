package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2/google"

	"github.com/dataproc-iis/iis/broker/access"
	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/cluster"
	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/decision"
	"github.com/dataproc-iis/iis/broker/directory"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/policy"
	"github.com/dataproc-iis/iis/broker/request"
	"github.com/dataproc-iis/iis/broker/revoke"
	"github.com/dataproc-iis/iis/broker/store/postgres"
	"github.com/dataproc-iis/iis/broker/watch"
	"github.com/dataproc-iis/iis/events"
)

// Pipeline configures what the broker does with job requests. With no
// PolicyPath the broker runs no request handlers at all (a relay-only
// process); with a policy it decides, and with Execute it also mints
// credentials and runs the jobs.
type Pipeline struct {
	Identity   identity.Config
	PolicyPath string
	// Directory makes the store's users and groups the authority: unknown,
	// deactivated or locked principals are denied even with a valid token.
	Directory bool
	// Execute mints credentials and submits approved jobs; without it the
	// broker only decides.
	Execute     bool
	Credentials credentials.Config
	IAM         credentials.ClientConfig
	Dataproc    dataproc.ClientConfig
	Limiter     dataproc.LimiterConfig
	LabelKey    []byte
	Watch       watch.Config
	// ClusterWatch tunes the cluster watcher, Reconcile the access
	// reconciler (expired bindings, IAM drift).
	ClusterWatch cluster.WatchConfig
	Reconcile    access.ReconcileConfig
	// Caller is the broker's own credential for polling and cancelling jobs;
	// nil uses CallerServiceAccount, or else Application Default Credentials.
	Caller dataproc.Caller
	// CallerServiceAccount, when set, is impersonated (IAM Credentials) for
	// the broker's own calls, so that watching needs no key of its own.
	CallerServiceAccount string
	// ApprovalURL is the template of a page to approve on, carried by
	// job.approval_requested ("": none); it holds approval.URLPlaceholder.
	ApprovalURL string
	// ApprovalSweep is how often requests nobody approved in time are
	// denied (default 5s).
	ApprovalSweep time.Duration
}

// parts are the pieces built from a Pipeline.
type parts struct {
	approvals *approval.Expirer
	api       *approval.API
	policy    *policy.Holder
	decider   *decision.Decider
	submitter *dataproc.Submitter
	minter    *credentials.Minter
	watcher   *watch.Watcher
	clusters  *cluster.Watcher
	reconcile *access.Reconciler
	dirCache  *directory.Cached
	dirFeed   directory.Feed
	closers   []func() error
}

func (b *Broker) buildPipeline(ctx context.Context, p Pipeline) error {
	if p.PolicyPath == "" {
		return nil
	}
	if len(p.Identity.Issuers) == 0 {
		return errors.New("service: a policy needs at least one trusted issuer")
	}
	holder, err := policy.NewHolder(p.PolicyPath)
	if err != nil {
		return err
	}
	verifier, err := identity.New(ctx, p.Identity)
	if err != nil {
		return err
	}
	d := &decision.Decider{Verifier: verifier, Policy: holder}
	if p.Directory {
		d.Directory = directory.Store{St: b.Store}
		if err := b.cacheDirectory(ctx, d); err != nil {
			return err
		}
	}
	b.parts.policy, b.parts.decider = holder, d
	h := &request.Handler{Store: b.Store, Audit: b.Audit, Decider: d, Directory: p.Directory, Policy: holder,
		Source: b.cfg.Worker.Source, Wake: b.Relay.Wake,
		Approvals: approval.Checker{Directory: p.Directory}, Notify: b.cfg.Topology.Approvals, ApprovalURL: p.ApprovalURL}
	b.Router.Handle(events.JobRequested, h)
	b.buildApprovals(p, verifier, h)
	ch := &cluster.Handler{Store: b.Store, Audit: b.Audit, Identity: d, Policy: holder, Directory: p.Directory,
		Source: b.cfg.Worker.Source, Wake: b.Relay.Wake}
	for _, t := range ch.Types() {
		b.Router.Handle(t, ch)
	}
	ah := &access.Handler{Store: b.Store, Audit: b.Audit, Identity: d, Policy: holder, Directory: p.Directory,
		Source: b.cfg.Worker.Source, Wake: b.Relay.Wake}
	b.Router.Handle(events.AccessRequested, ah)
	if !p.Execute {
		return nil
	}
	if err := b.buildExecution(ctx, p, h); err != nil {
		return err
	}
	if err := b.buildClusters(p, ch, ah); err != nil {
		return err
	}
	rv := &revoke.Handler{
		Store: b.Store, Audit: b.Audit, Dataproc: b.parts.submitter, Caller: b.caller,
		Binder: func() revoke.Binder { return holder.Current() }, Source: b.cfg.Worker.Source, Wake: b.Relay.Wake,
		Clusters: ch, Access: ah,
	}
	for _, t := range rv.Types() {
		b.Router.Handle(t, rv)
	}
	b.Router.Handle(events.JobCancelRequested, &request.Canceller{
		Store: b.Store, Audit: b.Audit, Verifier: verifier, Policy: holder, Directory: d.Directory,
		Dataproc: b.parts.submitter, Caller: b.caller, Source: b.cfg.Worker.Source, Wake: b.Relay.Wake,
	})
	return nil
}

// buildApprovals registers the approvers' answers, the expiry of requests
// nobody answered and the approvers' view of what waits.
func (b *Broker) buildApprovals(p Pipeline, v *identity.Verifier, h *request.Handler) {
	ah := &approval.Handler{Store: b.Store, Audit: b.Audit, Verifier: v, Directory: p.Directory, Resumer: h,
		Source: b.cfg.Worker.Source, Wake: b.Relay.Wake}
	for _, t := range ah.Types() {
		b.Router.Handle(t, ah)
	}
	b.parts.approvals = &approval.Expirer{Store: b.Store, Audit: b.Audit, Directory: p.Directory, Source: b.cfg.Worker.Source,
		Wake: b.Relay.Wake, Interval: p.ApprovalSweep}
	b.parts.api = &approval.API{Store: b.Store, Verifier: v, Directory: p.Directory}
}

func (b *Broker) buildExecution(ctx context.Context, p Pipeline, h *request.Handler) error {
	iam, err := credentials.NewClient(ctx, p.IAM)
	if err != nil {
		return err
	}
	b.parts.closers = append(b.parts.closers, iam.Close)
	minter, err := credentials.New(p.Credentials, iam)
	if err != nil {
		return err
	}
	clients, err := dataproc.NewClients(p.Dataproc)
	if err != nil {
		return err
	}
	b.parts.closers = append(b.parts.closers, func() error { clients.Close(); return nil })
	limiter, err := dataproc.NewLimiter(p.Limiter)
	if err != nil {
		return err
	}
	sub, err := dataproc.New(dataproc.Config{Clients: clients, Limiter: limiter, LabelKey: p.LabelKey})
	if err != nil {
		return err
	}
	b.caller = p.Caller
	if b.caller == nil && p.CallerServiceAccount != "" {
		b.caller = &mintedCaller{minter: minter, sa: p.CallerServiceAccount}
	}
	if b.caller == nil {
		ts, err := google.DefaultTokenSource(ctx, watch.CloudPlatformScope)
		if err != nil {
			return fmt.Errorf("service: the broker's own credentials (ADC): %w", err)
		}
		b.caller = watch.TokenSourceCaller{TS: ts}
	}
	p.Watch.Source = b.cfg.Worker.Source
	w, err := watch.New(p.Watch, b.Store, b.Audit, sub, b.caller, b.Relay.Wake)
	if err != nil {
		return err
	}
	h.Minter, h.Submitter, h.Canceller, h.Caller = minter, sub, sub, b.caller
	b.parts.submitter, b.parts.watcher, b.parts.minter = sub, w, minter
	return nil
}

// buildClusters makes the cluster and access handlers act (create and
// delete clusters, set IAM policies) and builds their background loops.
func (b *Broker) buildClusters(p Pipeline, ch *cluster.Handler, ah *access.Handler) error {
	ch.Minter, ch.Dataproc, ch.Caller = b.parts.minter, b.parts.submitter, b.caller
	ah.IAM, ah.Caller = b.parts.submitter, b.caller
	var err error
	if b.parts.clusters, err = cluster.NewWatcher(p.ClusterWatch, ch); err != nil {
		return err
	}
	b.parts.reconcile, err = access.NewReconciler(p.Reconcile, ah)
	return err
}

// cacheDirectory puts a per-worker cache in front of the directory when the
// store is PostgreSQL, kept fresh by its LISTEN/NOTIFY feed: a lock
// committed by SCIM on any worker reaches every worker's cache at commit.
// SQLite has no notification across processes (iis scim and iis directory
// import may write the same file), so there every lookup reads the store.
func (b *Broker) cacheDirectory(ctx context.Context, d *decision.Decider) error {
	if !strings.HasPrefix(b.cfg.Store, "postgres://") && !strings.HasPrefix(b.cfg.Store, "postgresql://") {
		return nil
	}
	l, err := postgres.Listen(context.WithoutCancel(ctx), b.cfg.Store) // ends with Close
	if err != nil {
		return err
	}
	c, err := directory.NewCached(directory.CacheConfig{Directory: d.Directory})
	if err != nil {
		l.Close()
		return err
	}
	b.parts.closers = append(b.parts.closers, l.Close)
	b.parts.dirCache, b.parts.dirFeed, d.Directory = c, l, c
	return nil
}
