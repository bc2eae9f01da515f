package pubsubserver

import (
	"fmt"

	"cloud.google.com/go/pubsub/v2/pstest"
)

// Server is a running pstest server.
type Server struct {
	*pstest.Server
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
	return &Server{Server: pstest.NewServerWithAddress(addr)}, nil
}
