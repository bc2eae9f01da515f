package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func init() {
	register("token", "mint an ID token from the dev issuer of `iis dev` (dev only)", runToken)
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var issuer, as, groups, typ, aud string
	var ttl time.Duration
	f := newFlags("token", stderr)
	f.String(&issuer, "issuer", "IIS_DEV_ISSUER", "http://127.0.0.1:8088/oidc", "the dev issuer's URL (printed by iis dev)")
	f.StringVar(&as, "as", "", "the principal's e-mail (required)")
	f.StringVar(&groups, "groups", "", "comma-separated groups claim (counts only for issuers trusted for groups)")
	f.StringVar(&typ, "type", "", "principal type claim: human or workload")
	f.StringVar(&aud, "audience", "", "audience (default: the issuer's, which the dev broker expects)")
	f.DurationVar(&ttl, "ttl", time.Hour, "token lifetime")
	if err := f.Parse(args); err != nil {
		return err
	}
	if as == "" {
		return fmt.Errorf("-as is required, e.g. -as alice@example.com")
	}
	form := url.Values{"email": {as}, "ttl": {ttl.String()}}
	for k, v := range map[string]string{"groups": groups, "principal_type": typ, "aud": aud} {
		if v != "" {
			form.Set(k, v)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(issuer, "/")+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("is `iis dev` running? %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("dev issuer answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var out struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.IDToken == "" {
		return fmt.Errorf("dev issuer answered without a token")
	}
	fmt.Fprintln(stdout, out.IDToken)
	return nil
}
