// Package wechat talks to WeChat's server API for a mini program: its
// stable access token for now, and URL Links, schemes and sun codes as the
// gateway comes to use them. Every call goes to the base URL it was
// configured with (the real host, a proxy, or a test's fake), under the
// caller's context and a timeout. Errors never carry the secret.
package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultBase is WeChat's API host.
const DefaultBase = "https://api.weixin.qq.com"

// maxResponse bounds what is read of an answer: a token's is a few hundred
// bytes.
const maxResponse = 1 << 20

// Error codes a merchant can act on, or that the token logic acts on.
const (
	CodeInvalidCredential = 40001 // access token invalid or not the latest
	CodeInvalidAppID      = 40013
	CodeInvalidToken      = 40014
	CodeBadSecret         = 40125
	CodeTokenExpired      = 42001
	CodeIPNotAllowed      = 40164 // the calling address is not on the app's IP allowlist
)

// APIError is an answer of WeChat's with a non-zero errcode.
type APIError struct {
	Code    int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("wechat: error %d: %s", e.Code, e.Message) }

// TokenRejected reports whether err says an access token is no longer good
// (so a forced refresh may help): 40001, 40014 or 42001.
func TokenRejected(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == CodeInvalidCredential || e.Code == CodeInvalidToken || e.Code == CodeTokenExpired
}

// ErrUnavailable wraps a failure to get an answer from WeChat (network,
// timeout, an HTTP error status, a body that is not WeChat's JSON).
var ErrUnavailable = errors.New("wechat: API unavailable")

// Client calls WeChat's API.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client of the API at base (DefaultBase, or a proxy
// or fake of it), with a per-call timeout.
func NewClient(base string, timeout time.Duration) *Client {
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout}}
}

// Token is an access token and when it stops being good.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

// StableToken fetches the app's stable access token (POST
// /cgi-bin/stable_token). In normal mode (force false) WeChat returns the
// current token while it is valid; force makes WeChat issue a new one and
// invalidate the old, at most 20 times a day and 30 s apart.
func (c *Client) StableToken(ctx context.Context, appID, secret string, force bool, now time.Time) (Token, error) {
	body, err := json.Marshal(map[string]any{
		"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": force,
	})
	if err != nil {
		return Token{}, err
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := c.post(ctx, "/cgi-bin/stable_token", body, &out); err != nil {
		return Token{}, err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return Token{}, fmt.Errorf("%w: stable_token: no token in the answer", ErrUnavailable)
	}
	return Token{Value: out.AccessToken, ExpiresAt: now.Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// post sends a JSON body and decodes WeChat's JSON answer into out, or
// returns its errcode as an *APIError.
func (c *Client) post(ctx context.Context, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s: HTTP %d", ErrUnavailable, path, resp.StatusCode)
	}
	var status struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(data, &status); err != nil {
		return fmt.Errorf("%w: %s: answer is not JSON", ErrUnavailable, path)
	}
	if status.ErrCode != 0 {
		return &APIError{Code: status.ErrCode, Message: status.ErrMsg}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	return nil
}
