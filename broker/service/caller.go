package service

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog/log"

	"github.com/dataproc-iis/iis/broker/credentials"
	"github.com/dataproc-iis/iis/broker/dataproc"
)

// mintedCaller is the broker's own credential minted through IAM
// Credentials for a service account it may impersonate, renewed before it
// expires.
type mintedCaller struct {
	minter *credentials.Minter
	sa     string

	mu   sync.Mutex
	cred credentials.Credential
}

var _ dataproc.Caller = (*mintedCaller)(nil)

// AccessToken returns a current token, or "" (which Dataproc refuses, so
// the poll fails and is retried) when none can be minted.
func (c *mintedCaller) AccessToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cred.ServiceAccount == "" || c.cred.Expired(time.Now(), time.Minute) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cred, err := c.minter.Mint(ctx, c.sa, 0)
		if err != nil {
			log.Warn().Err(err).Str("service_account", c.sa).Msg("minting the broker's own token failed")
			return ""
		}
		c.cred = cred
	}
	return c.cred.AccessToken()
}
