package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/dataproc-iis/iis/broker/store"
)

// health serves /healthz (the process is up) and /readyz (the store
// answers) on mux. Cloud Run needs a listening port even for a worker.
func health(mux *http.ServeMux, st store.Store) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		err := st.View(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.IsProcessed(ctx, "readyz")
			return err
		})
		if err != nil {
			http.Error(w, "store unavailable\n", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
}

// serveHTTP listens on addr and serves h until ctx is done. It returns the
// bound address (useful with port 0) once listening.
func serveHTTP(ctx context.Context, addr string, h http.Handler) (string, <-chan error, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(l)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("http shutdown")
		}
	}()
	return l.Addr().String(), done, nil
}
