package pubsubserver

import (
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
)

// CloseWait bounds Close.
const CloseWait = 5 * time.Second

// Server is a running pstest server.
type Server struct {
	*pstest.Server
	closeWait time.Duration
	closeFn   func() error
}

// Start serves pstest on addr ("127.0.0.1:8085", or "127.0.0.1:0" for any
// free port).
func Start(addr string) (s *Server, err error) {
	defer func() {
		// pstest panics when it cannot listen; turn that into an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("pstest: listen on %s: %v", addr, r)
		}
	}()
	ps := pstest.NewServerWithAddress(addr)
	return &Server{Server: ps, closeWait: CloseWait, closeFn: ps.Close}, nil
}

// Close stops serving and gives up after CloseWait. pstest answers a
// stream's keep-alive ping by sending on the stream while it holds the
// whole server's lock; when that stream's sender has already stopped (its
// client went away mid-pull) the send never returns, and pstest's own Close
// waits for the lock for ever. Its listener and connections are closed
// before that wait, so what is left behind is only goroutines of a server
// that no longer serves.
func (s *Server) Close() error {
	done := make(chan error, 1)
	go func() { done <- s.closeFn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(s.closeWait):
		return errors.New("pstest: Close gave up waiting for the server's lock (a stream's keep-alive holds it); the listener is closed")
	}
}
