package main

import (
	"context"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/telemetry"
)

// startTelemetry installs the process's traces and metrics: metrics served
// as Prometheus on /metrics, and traces and metrics exported over OTLP/gRPC
// when the standard OTEL_EXPORTER_OTLP_* variables name an endpoint (off
// otherwise). The returned function flushes and stops them.
func startTelemetry(ctx context.Context, service string) (*telemetry.Telemetry, func(), error) {
	otlp := telemetry.OTLPFromEnv()
	tel, err := telemetry.New(ctx, telemetry.Config{Service: service, Prometheus: true, OTLP: otlp})
	if err != nil {
		return nil, nil, err
	}
	restore := telemetry.Install(tel)
	zerolog.Ctx(ctx).Info().Bool("otlp", otlp).Msg("telemetry: metrics on /metrics" + map[bool]string{true: ", traces and metrics over OTLP", false: ""}[otlp])
	return tel, func() {
		restore()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Close(sctx); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("telemetry: flushing on shutdown")
		}
	}, nil
}

// metrics serves /metrics on mux.
func metrics(mux *http.ServeMux, tel *telemetry.Telemetry) {
	mux.Handle("GET /metrics", tel.Handler())
}
