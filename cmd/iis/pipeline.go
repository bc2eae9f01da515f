package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
	"github.com/dataproc-iis/iis/broker/identity"
	"github.com/dataproc-iis/iis/broker/service"
)

// pipelineSettings are the flags of `iis serve` that configure decisions
// and execution against real Google Cloud.
type pipelineSettings struct {
	Issuers       string
	Directory     bool
	DecideOnly    bool
	IAMEndpoint   string
	DPEndpoint    string
	LabelKeyFile  string
	MaxLifetime   time.Duration
	DataprocQuota int
	CallerSA      string
	DevInsecure   bool
	// The audit timeline page (serve only: registered by serveFlags).
	TimelineURL, TimelineLogin string
}

func (s *pipelineSettings) register(f flags) {
	f.String(&s.Issuers, "issuers", "IIS_ISSUERS", "", "trusted OIDC issuers (YAML file, see docs/configuration.md)")
	f.Bool(&s.Directory, "directory", "IIS_DIRECTORY", true, "make the store's directory the authority: unknown, deactivated or locked principals are denied")
	f.Bool(&s.DecideOnly, "decide-only", "IIS_DECIDE_ONLY", false, "decide and audit, but mint no credential and run no job")
	f.String(&s.IAMEndpoint, "iam-endpoint", "IIS_IAM_ENDPOINT", "", "IAM Credentials endpoint override (default Google's)")
	f.String(&s.DPEndpoint, "dataproc-endpoint", "IIS_DATAPROC_ENDPOINT", "", "Dataproc endpoint override (default the regional endpoint)")
	f.String(&s.LabelKeyFile, "label-key-file", "IIS_LABEL_KEY_FILE", "", "file holding the secret key of the iis-principal label hash")
	f.Duration(&s.MaxLifetime, "credential-max-lifetime", "IIS_CREDENTIAL_MAX_LIFETIME", 15*time.Minute, "global cap on minted credential lifetimes (at most 1h)")
	f.String(&s.CallerSA, "broker-service-account", "IIS_BROKER_SERVICE_ACCOUNT", "", "service account impersonated for the broker's own Dataproc calls (polling, cancels); default: Application Default Credentials")
	f.Bool(&s.DevInsecure, "dev-insecure-endpoints", "IIS_DEV_INSECURE_ENDPOINTS", false, "dial -iam-endpoint and -dataproc-endpoint in plaintext without credentials: only for the stand-ins of `iis dev`")
	f.Int(&s.DataprocQuota, "dataproc-quota", "IIS_DATAPROC_QUOTA", dataproc.DefaultPerMinute, "Dataproc submit+cancel calls per minute per region (shared quota)")
}

// pipeline builds the service pipeline for a policy (empty: none).
func (s *pipelineSettings) pipeline(policyPath string) (service.Pipeline, error) {
	p := service.Pipeline{PolicyPath: policyPath, Directory: s.Directory, Execute: !s.DecideOnly}
	if policyPath == "" {
		return p, nil
	}
	if s.Issuers == "" {
		return p, fmt.Errorf("-policy needs -issuers: a broker that trusts no issuer can only deny")
	}
	iss, err := identity.LoadIssuers(s.Issuers)
	if err != nil {
		return p, err
	}
	p.Identity.Issuers = iss
	p.Credentials = credentials.Config{GlobalMaxLifetime: s.MaxLifetime}
	p.IAM = credentials.ClientConfig{Endpoint: s.IAMEndpoint, Insecure: s.DevInsecure}
	p.Dataproc = dataproc.ClientConfig{Endpoint: s.DPEndpoint, Insecure: s.DevInsecure}
	p.CallerServiceAccount = s.CallerSA
	p.Limiter = dataproc.LimiterConfig{PerMinute: s.DataprocQuota}
	if s.LabelKeyFile != "" {
		key, err := os.ReadFile(s.LabelKeyFile)
		if err != nil {
			return p, err
		}
		p.LabelKey = []byte(strings.TrimSpace(string(key)))
	}
	return p, nil
}
