package scim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Fingerprint identifies a bearer token in logs and events without
// revealing it: "token:" and the first 16 hex digits of its SHA-256.
func Fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "token:" + hex.EncodeToString(sum[:8])
}

// authenticator checks the bearer token of a request.
type authenticator struct {
	static [][sha256.Size]byte
	file   *tokenFile
	oauth  *oauthVerifier
}

func newAuthenticator(cfg Config) (*authenticator, error) {
	a := &authenticator{}
	for _, t := range cfg.Tokens {
		a.static = append(a.static, sha256.Sum256([]byte(t)))
	}
	if cfg.TokensFile != "" {
		a.file = &tokenFile{path: cfg.TokensFile}
		if err := a.file.load(); err != nil {
			return nil, err
		}
	}
	if cfg.OAuth != nil {
		a.oauth = newOAuth(*cfg.OAuth, cfg.Now)
	}
	return a, nil
}

// authenticate returns the actor the request authenticates as: the token's
// fingerprint, or "oauth:" and the client id of an OAuth access token.
func (a *authenticator) authenticate(ctx context.Context, r *http.Request) (string, *scimError) {
	token := bearerToken(r)
	if token == "" {
		return "", errorf(http.StatusUnauthorized, "", "a bearer token is required")
	}
	// Hash the presented token and compare it with the hash of every
	// accepted token in constant time, without stopping at a match: the
	// time taken says nothing about how close a guess was or which token
	// matched.
	sum := sha256.Sum256([]byte(token))
	match := 0
	for _, h := range a.hashes(ctx) {
		match |= subtle.ConstantTimeCompare(sum[:], h[:])
	}
	if match == 1 {
		return "token:" + hex.EncodeToString(sum[:8]), nil
	}
	if a.oauth != nil && strings.Count(token, ".") == 2 {
		client, err := a.oauth.verify(ctx, token)
		if err == nil {
			return "oauth:" + client, nil
		}
		zerolog.Ctx(ctx).Info().Str("reason", err.Error()).Msg("scim: OAuth access token refused")
	}
	return "", errorf(http.StatusUnauthorized, "", "the bearer token is not valid")
}

// bearerToken returns the token of a Bearer Authorization header, or ""
// when the request carries none (no header, another scheme, no token).
func bearerToken(r *http.Request) string {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// hashes returns the hashes of the accepted tokens.
func (a *authenticator) hashes(ctx context.Context) [][sha256.Size]byte {
	if a.file == nil {
		return a.static
	}
	return slices.Concat(a.file.hashes(ctx), a.static) // never append into the file's slice: requests run concurrently
}

// tokenFile is a file of tokens, re-read when its size or modification time
// changes. It fails closed: a missing or unreadable file accepts no token,
// and a file with a bad line keeps only the tokens read before that it still
// lists, so removing a token always revokes it.
type tokenFile struct {
	path string

	mu     sync.Mutex
	mtime  time.Time
	size   int64
	tokens [][sha256.Size]byte
}

func (f *tokenFile) hashes(ctx context.Context) [][sha256.Size]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	fi, err := os.Stat(f.path)
	switch {
	case err != nil:
		f.tokens, f.mtime, f.size = nil, time.Time{}, -1
		err = fmt.Errorf("scim: tokens file: %w", err)
	case !fi.ModTime().Equal(f.mtime) || fi.Size() != f.size:
		err = f.loadLocked()
	}
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("scim: tokens file unusable; accepting only tokens it still lists")
	}
	return f.tokens
}

func (f *tokenFile) load() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loadLocked()
}

func (f *tokenFile) loadLocked() error {
	fi, err := os.Stat(f.path)
	if err == nil {
		var b []byte
		if b, err = os.ReadFile(f.path); err == nil {
			return f.parseLocked(b, fi)
		}
	}
	f.tokens, f.mtime, f.size = nil, time.Time{}, -1
	return fmt.Errorf("scim: tokens file: %w", err)
}

func (f *tokenFile) parseLocked(b []byte, fi os.FileInfo) error {
	tokens, perr := parseTokens(b)
	fresh := make([][sha256.Size]byte, 0, len(tokens))
	for _, t := range tokens {
		fresh = append(fresh, sha256.Sum256([]byte(t)))
	}
	f.mtime, f.size = fi.ModTime(), fi.Size()
	if perr != nil {
		f.tokens = slices.DeleteFunc(f.tokens, func(h [sha256.Size]byte) bool { return !slices.Contains(fresh, h) })
		return fmt.Errorf("scim: tokens file %s: %w", f.path, perr)
	}
	f.tokens = fresh
	return nil
}

// parseTokens reads tokens one per line; blank lines and lines starting
// with # are skipped. A token shorter than MinTokenLength is an error that
// names its line, never its text; the valid tokens are returned with it.
func parseTokens(b []byte) ([]string, error) {
	var tokens []string
	var first error
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := checkToken(line); err != nil {
			if first == nil {
				first = fmt.Errorf("line %d: %w", n, err)
			}
			continue
		}
		tokens = append(tokens, line)
	}
	if err := sc.Err(); err != nil && first == nil {
		first = err
	}
	return tokens, first
}
