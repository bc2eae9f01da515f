//go:build linux

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// leaveHalfway waits until decided() reaches at, then deactivates the
// users one after the other and returns when each was acknowledged.
func leaveHalfway(ctx context.Context, c *cluster, users []string, at int, decided func() int) (map[string]time.Time, error) {
	lockedAt := map[string]time.Time{}
	for decided() < at {
		select {
		case <-ctx.Done():
			return lockedAt, fmt.Errorf("leavers: %d requests never decided: %w", at, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	for _, u := range users {
		t, err := deactivate(ctx, c.httpURL, c.scimToken, u)
		if err != nil {
			return lockedAt, err
		}
		lockedAt[u] = t
	}
	return lockedAt, nil
}

// deactivate is what an IdP does for a leaver: find the user by userName,
// then PATCH active=false. It returns when the endpoint acknowledged the
// change, which it does after the lock committed.
func deactivate(ctx context.Context, base, token, userName string) (time.Time, error) {
	q := url.Values{"filter": {fmt.Sprintf("userName eq %q", userName)}}
	body, err := scimCall(ctx, http.MethodGet, base+"/scim/v2/Users?"+q.Encode(), token, "")
	if err != nil {
		return time.Time{}, err
	}
	var list struct {
		Resources []struct {
			ID string `json:"id"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Resources) != 1 {
		return time.Time{}, fmt.Errorf("SCIM lookup of %s: %d users, %v: %s", userName, len(list.Resources), err, body)
	}
	const patch = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`
	if _, err := scimCall(ctx, http.MethodPatch, base+"/scim/v2/Users/"+list.Resources[0].ID, token, patch); err != nil {
		return time.Time{}, err
	}
	return time.Now(), nil
}

// scimCall makes one SCIM call, waiting out rate limiting (429) and
// retrying a server error a few times.
func scimCall(ctx context.Context, method, u, token, body string) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			return nil, err
		case resp.StatusCode < 300:
			return b, nil
		case (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) && attempt < 5:
			wait := 200 * time.Millisecond
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
				wait = time.Duration(s) * time.Second
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		default:
			return nil, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, b)
		}
	}
}
