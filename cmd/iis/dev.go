package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/approval"
	"github.com/dataproc-iis/iis/broker/login"
	"github.com/dataproc-iis/iis/broker/service"
	"github.com/dataproc-iis/iis/broker/session"
	"github.com/dataproc-iis/iis/broker/telemetry"
	"github.com/dataproc-iis/iis/broker/transport"
	"github.com/dataproc-iis/iis/internal/dataprocserver"
	"github.com/dataproc-iis/iis/internal/devissuer"
	"github.com/dataproc-iis/iis/internal/devstack"
	"github.com/dataproc-iis/iis/internal/pubsubserver"
	"github.com/dataproc-iis/iis/internal/version"
)

func init() {
	register("dev", "run the broker with every Google Cloud part stood in for locally", runDev)
}

type devSettings struct {
	brokerSettings
	scim                              scimSettings
	PubSubAddr, IAMAddr, DataprocAddr string
	SAMLAddr                          string
	session                           sessionSettings
	Timing                            dataprocserver.Timing
	ClusterTiming                     dataprocserver.ClusterTiming
	ClusterQuota                      int
	Broker                            bool
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var s devSettings
	f := newFlags("dev", stderr)
	s.register(f)
	f.String(&s.PubSubAddr, "pubsub-addr", "IIS_DEV_PUBSUB_ADDR", "127.0.0.1:8085", "where the local Pub/Sub server (pstest) listens")
	f.String(&s.IAMAddr, "iam-addr", "IIS_DEV_IAM_ADDR", "127.0.0.1:8086", "where the local IAM Credentials server listens")
	f.String(&s.DataprocAddr, "dataproc-addr", "IIS_DEV_DATAPROC_ADDR", "127.0.0.1:8087", "where the local Dataproc server listens")
	f.String(&s.SAMLAddr, "saml-addr", "IIS_DEV_SAML_ADDR", "127.0.0.1:8089", "where the dev SAML IdP listens")
	f.Duration(&s.session.Lifetime, "session-lifetime", "IIS_SESSION_LIFETIME", session.DefaultLifetime, "lifetime of a session token (at most 12h)")
	s.scim.register(f)
	f.Bool(&s.Broker, "broker", "IIS_DEV_BROKER", true, "run a broker worker in this process (false: only the stand-ins, SCIM and the relay, for `iis serve` workers to join)")
	d := dataprocserver.DefaultTiming
	f.Duration(&s.Timing.Pending, "job-pending", "IIS_DEV_JOB_PENDING", d.Pending, "how long local Dataproc workloads stay PENDING")
	f.Duration(&s.Timing.Running, "job-running", "IIS_DEV_JOB_RUNNING", d.Running, "how long local Dataproc workloads run before they succeed")
	dc := dataprocserver.DefaultClusterTiming
	f.Duration(&s.ClusterTiming.Create, "cluster-create", "IIS_DEV_CLUSTER_CREATE", dc.Create, "how long local Dataproc clusters stay CREATING")
	f.Duration(&s.ClusterTiming.Delete, "cluster-delete", "IIS_DEV_CLUSTER_DELETE", dc.Delete, "how long local Dataproc clusters stay DELETING")
	f.Int(&s.ClusterQuota, "cluster-quota", "IIS_DEV_CLUSTER_QUOTA", 8, "live clusters the local Dataproc allows per project and region (0: no limit)")
	if s.HTTPAddr == "" {
		f.Lookup("http-addr").DefValue = "127.0.0.1:8088"
		s.HTTPAddr = "127.0.0.1:8088"
	}
	if err := f.Parse(args); err != nil {
		return err
	}
	ctx, log, err := s.logger(ctx, stderr)
	if err != nil {
		return err
	}
	log.Info().EmbedObject(version.Get()).Msg("iis dev starting")
	tel, stopTelemetry, err := startTelemetry(ctx, "iis-dev")
	if err != nil {
		return err
	}
	defer stopTelemetry()
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return err
	}
	s.CP.devDefaults(s.DataDir)
	ps, err := pubsubserver.Start(s.PubSubAddr)
	if err != nil {
		return err
	}
	defer func() {
		if err := ps.Close(); err != nil {
			log.Warn().Err(err).Msg("local Pub/Sub stopped uncleanly")
		}
	}()
	s.Emulator = ps.Addr

	// The HTTP server comes first: the issuer's URL is its address.
	l, err := net.Listen("tcp", s.HTTPAddr)
	if err != nil {
		return err
	}
	base := "http://" + l.Addr().String()
	samlL, err := net.Listen("tcp", s.SAMLAddr)
	if err != nil {
		l.Close()
		return err
	}
	dirFile, err := devFile(s.DataDir, "directory.yaml")
	if err != nil {
		return err
	}
	users, err := devUsers(dirFile)
	if err != nil {
		return err
	}
	signer, err := devSessionKey(s.DataDir)
	if err != nil {
		return err
	}
	stack, err := devstack.Start(ctx, devstack.Config{
		IssuerURL: base + "/oidc", IAMAddr: s.IAMAddr, DataprocAddr: s.DataprocAddr,
		Clusters:      map[string]string{"etl-cluster": "etl-runner@iis-dev.iam.gserviceaccount.com"},
		Timing:        dataprocserver.Timing{Pending: s.Timing.Pending, Running: s.Timing.Running, Cancel: d.Cancel},
		ClusterTiming: s.ClusterTiming, ClusterQuota: s.ClusterQuota,
		LoginURL: base + "/login", SAMLURL: "http://" + samlL.Addr().String(), SessionURL: base + "/session",
		Users: users, SessionSigner: signer, SessionLifetime: s.session.Lifetime,
	})
	if err != nil {
		l.Close()
		samlL.Close()
		return err
	}
	defer stack.Close()
	samlSrv := &http.Server{Handler: stack.SAML.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go samlSrv.Serve(samlL)
	defer samlSrv.Shutdown(context.WithoutCancel(ctx))

	if s.Policy == "" {
		if s.Policy, err = devFile(s.DataDir, "policy.yaml"); err != nil {
			return err
		}
	}
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := transport.Ensure(ctx, c, s.Topo); err != nil {
		return err
	}
	pub := transport.NewPublisher(c)
	defer pub.Stop()
	cfg := s.serviceConfig()
	cfg.Checkpoints.CreateKey = true
	if s.Broker {
		cfg.Pipeline = s.timing(stack.Pipeline(s.Policy))
		if err := s.approvals(&cfg.Pipeline); err != nil {
			return err
		}
	}
	if err := writeIssuers(s.DataDir, stack); err != nil {
		return err
	}
	b, err := service.New(ctx, cfg, pub)
	if err != nil {
		return err
	}
	defer b.Close()
	if n, err := seedDirectory(ctx, b.Store, dirFile); err != nil {
		return fmt.Errorf("seeding the directory from %s: %w", dirFile, err)
	} else if n > 0 {
		log.Info().Int("users", n).Str("file", dirFile).Msg("directory seeded")
	}

	shown := "<one of your -scim-tokens>"
	if s.scim.Tokens == "" && s.scim.TokensFile == "" {
		s.scim.Tokens = devToken() // random per run, shown once: dev only
		shown = s.scim.Tokens
	}
	scimSrv, err := s.scim.server(b, s.Topo.Identity, "", log)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	health(mux, b.Store)
	metrics(mux, tel)
	mux.Handle("/oidc/", stack.Mux())
	mux.Handle("/scim/", telemetry.HTTPHandler(scimSrv, "scim"))
	loginCfg := stack.Login(b.Store, b.Audit, b.Relay.Wake)
	loginCfg.Log = log
	loginSrv, err := login.New(loginCfg)
	if err != nil {
		return err
	}
	if err := stack.RegisterLogin(loginSrv); err != nil {
		return err
	}
	mountLogin(mux, base+"/login", loginSrv, stack.Sessions)
	if api := b.ApprovalAPI(); api != nil {
		mux.Handle(approval.APIPath, api)
	}
	if s.Broker {
		if err := mountTimeline(mux, b, base+"/timeline", base+"/login"); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: mux, BaseContext: func(net.Listener) context.Context { return ctx }}
	go srv.Serve(l)
	defer srv.Shutdown(context.WithoutCancel(ctx))

	banner(stderr, s, cfg, base, stack, dirFile, shown)
	if !s.Broker {
		printJoin(stderr, joinCommand(s, cfg, stack))
		log.Info().EmbedObject(version.Get()).Msg("dev stand-ins running without a broker; start `iis serve` workers; Ctrl-C to stop")
		return b.RunRelay(ctx)
	}
	log.Info().EmbedObject(version.Get()).Msg("dev broker running; Ctrl-C to stop")
	return b.Run(ctx, c)
}

func banner(w io.Writer, s devSettings, cfg service.Config, base string, stack *devstack.Stack, dirFile, shown string) {
	fmt.Fprintf(w, `
Dataproc IIS — dev mode. Every Google Cloud part runs in this process; nothing reaches Google Cloud.
DEVELOPMENT ONLY: the OIDC issuer below signs any token it is asked for. Never trust it in production.

  Pub/Sub (pstest)     %[1]s   project %[2]s; topics %[3]s, %[4]s, %[5]s
  OIDC dev issuer      %[6]s/oidc   (audience %[7]q)
  IAM Credentials      %[8]s
  Dataproc             %[9]s   (cluster etl-cluster; Serverless batches; clusters the broker creates)
  store                %[10]s
  policy               %[11]s   (edit it: reloaded within seconds)
  directory            %[12]s   (loaded into an empty store)
  SCIM 2.0             %[6]s/scim/v2   (Authorization: Bearer %[13]s)
  login service        %[6]s/login   (iis login -issuer dev | dev-saml; dev users' password %[14]q)
  dev SAML IdP         %[15]s   (metadata %[15]s/metadata)
  session issuer       %[6]s/session   (ES256, key %[16]s)
  approvals            %[6]s/approvals/v1/pending   (iis pending -broker %[6]s); waiting requests also on topic %[19]s
  health               %[6]s/healthz, %[6]s/readyz
  audit checkpoints    %[17]s   (signed with %[18]s; iis audit verify checks them)
  metrics              %[6]s/metrics   (Prometheus; OTLP too when OTEL_EXPORTER_OTLP_ENDPOINT is set)
  audit timeline       %[6]s/timeline/   (sign in as alice@example.com: the dev policy's auditor)

Try it from a second terminal:
  export PUBSUB_EMULATOR_HOST=%[1]s
  go run ./cmd/iis login -issuer dev-saml          # a browser login as alice@example.com (password above)
  go run ./cmd/iis run -data '{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}'
  go run ./cmd/iis tail
  TOKEN=$(go run ./cmd/iis token -issuer %[6]s/oidc -as alice@example.com)
  go run ./cmd/iis publish -type job.requested -token "$TOKEN" \
    -data '{"target":{"project":"iis-dev","region":"europe-west1"},"job":{"type":"pyspark","main_python_uri":"gs://iis-dev-code/etl.py"}}'
  go run ./cmd/iis publish -type job.requested -data '{"job":{}}' -no-validate   # rejected: schema_violation
  go run ./cmd/iis publish -type cluster.requested -token "$TOKEN" -data '{"template":"small"}'   # a cluster of alice's
  # a leaver: find bob's id, deactivate him; tail shows access.revoked
  curl -s -H 'Authorization: Bearer %[13]s' '%[6]s/scim/v2/Users?filter=userName%%20eq%%20%%22bob@example.com%%22'

`, s.Emulator, s.Project, s.Topo.Requests, s.Topo.Identity, s.Topo.Audit, base, devstack.Audience,
		stack.IAM.Addr(), stack.Dataproc.Addr(), cfg.Store, s.Policy, dirFile, shown, devissuer.DefaultPassword,
		strings.TrimSuffix(stack.SAML.MetadataURL(), "/metadata"), filepath.Join(s.DataDir, devKeyFile),
		cfg.Checkpoints.Archive, cfg.Checkpoints.Key, s.Topo.Approvals)
}

// writeIssuers writes the issuers file that `iis serve` workers joining
// this dev environment use (-issuers DATA_DIR/issuers.yaml): the dev issuer
// and the session issuer, and the IdPs of its login service.
func writeIssuers(dir string, stack *devstack.Stack) error {
	body := fmt.Sprintf(`# Written by iis dev (DEVELOPMENT ONLY).
issuers:
  - url: %s            # the dev OIDC issuer (iis token)
    audience: %s
  - name: session
    url: %s         # the session issuer (iis login): sub is the directory user id
    audience: %s
    algorithms: [ES256]
    directory: {by: [user_id]}
logins:
  - name: %s
    oidc: {issuer: %s, client_id: %s}
  - name: %s
    saml: {metadata_url: %s}
`, stack.Issuer.URL(), devstack.Audience, stack.Sessions.Issuer(), stack.Sessions.Audience(),
		devstack.OIDCLogin, stack.Issuer.URL(), devstack.LoginClientID, devstack.SAMLLogin, stack.SAML.MetadataURL())
	return os.WriteFile(filepath.Join(dir, "issuers.yaml"), []byte(body), 0o600)
}
