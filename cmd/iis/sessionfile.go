package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// storedSession is what `iis login` keeps in the user's config dir (mode
// 0600): the session token and what to show about it.
type storedSession struct {
	LoginURL    string    `json:"login_url"`
	IdP         string    `json:"idp"`
	Issuer      string    `json:"issuer"`
	User        string    `json:"user"`
	Email       string    `json:"email,omitempty"`
	ExpiresAt   time.Time `json:"expires_at"`
	Fingerprint string    `json:"fingerprint"`
	Token       string    `json:"token"`
}

// sessionPath is $IIS_CONFIG_DIR/session.json, by default in the user's
// config dir (~/.config/iis on Linux).
func sessionPath() (string, error) {
	dir := os.Getenv("IIS_CONFIG_DIR")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("no config dir (set IIS_CONFIG_DIR): %w", err)
		}
		dir = filepath.Join(base, "iis")
	}
	return filepath.Join(dir, "session.json"), nil
}

func saveSession(s storedSession) (string, error) {
	path, err := sessionPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", err
	}
	// Written whole to a temporary file, then renamed: never a half token.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// errNoSession is returned when nobody is logged in.
var errNoSession = errors.New("not logged in: run `iis login` (or pass -token)")

func loadSession() (storedSession, error) {
	var s storedSession
	path, err := sessionPath()
	if err != nil {
		return s, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, errNoSession
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Token == "" {
		return s, fmt.Errorf("%s is not a session file; run `iis login` again", path)
	}
	return s, nil
}
