// Package douyin talks to Douyin's open platform for a mini program: its
// client token for now, and URL Links as the gateway comes to use them.
// Every call goes to the base URL it was configured with (the real host, a
// proxy, or a test's fake), under the caller's context and a timeout.
// Errors never carry the secret.
package douyin

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

// DefaultBase is Douyin's open platform host.
const DefaultBase = "https://open.douyin.com"

// maxResponse bounds what is read of an answer.
const maxResponse = 1 << 20

// Error codes of the client token endpoint.
const (
	CodeBadParams   = 10002
	CodeUnknownApp  = 10003 // client_key does not exist
	CodeBadSecret   = 10013 // client_key or client_secret wrong
	CodeRateLimited = 10020
)

// APIError is an answer of Douyin's with a non-zero error code.
type APIError struct {
	Code    int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("douyin: error %d: %s", e.Code, e.Message) }

// ErrUnavailable wraps a failure to get an answer from Douyin (network,
// timeout, an HTTP error status, a body that is not Douyin's JSON).
var ErrUnavailable = errors.New("douyin: API unavailable")

// Client calls Douyin's open platform.
type Client struct {
	base string
	http *http.Client
}

// NewClient returns a client of the API at base (DefaultBase, or a proxy
// or fake of it), with a per-call timeout.
func NewClient(base string, timeout time.Duration) *Client {
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout,
		// A redirect is an error, never followed: Go would send the body
		// (a secret) and custom headers (a token) again, wherever it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Token is a client token and when it stops being good.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

// ClientToken fetches the mini program's client token (POST
// /oauth/client_token/ with its AppID as client_key). A new one makes the
// previous one expire 5 minutes later: callers share one per app.
func (c *Client) ClientToken(ctx context.Context, appID, secret string, now time.Time) (Token, error) {
	body, err := json.Marshal(map[string]string{
		"grant_type": "client_credential", "client_key": appID, "client_secret": secret,
	})
	if err != nil {
		return Token{}, err
	}
	var out struct {
		Data struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
			ErrorCode   int    `json:"error_code"`
			Description string `json:"description"`
		} `json:"data"`
		Message string `json:"message"`
	}
	if err := c.post(ctx, "/oauth/client_token/", body, &out); err != nil {
		return Token{}, err
	}
	if out.Data.ErrorCode != 0 {
		return Token{}, &APIError{Code: out.Data.ErrorCode, Message: out.Data.Description}
	}
	if out.Data.AccessToken == "" || out.Data.ExpiresIn <= 0 {
		return Token{}, fmt.Errorf("%w: client_token: no token in the answer", ErrUnavailable)
	}
	return Token{Value: out.Data.AccessToken, ExpiresAt: now.Add(time.Duration(out.Data.ExpiresIn) * time.Second)}, nil
}

// Hosts (app_name) a Douyin mini program opens in.
const (
	HostDouyin      = "douyin"
	HostDouyinLite  = "douyinlite"
	HostToutiao     = "toutiao"
	HostToutiaoLite = "toutiaolite"
)

// CodeInvalidToken and CodeTokenExpired: the access token is invalid, or
// expired (URL Link answers).
const (
	CodeInvalidToken = 28001003
	CodeTokenExpired = 28001008
)

// Launch is where a URL Link opens the mini program.
type Launch struct {
	Host  string            // app_name; empty: douyin
	Path  string            // a published page, no query; empty: the home page
	Query map[string]string // sent as a JSON string, at most 1024 characters
}

// GenerateURLLink makes a URL Link (POST /api/apps/v1/url_link/generate/)
// that opens the mini program at l until expires (at most 180 days ahead;
// Douyin rounds the lifetime up to whole hours).
func (c *Client) GenerateURLLink(ctx context.Context, token, appID string, l Launch, expires time.Time) (string, error) {
	query := "{}"
	if len(l.Query) > 0 {
		q, err := json.Marshal(l.Query)
		if err != nil {
			return "", err
		}
		query = string(q)
	}
	host := l.Host
	if host == "" {
		host = HostDouyin
	}
	body, err := json.Marshal(map[string]any{"app_id": appID, "app_name": host, "path": l.Path, "query": query,
		"expire_time": expires.Unix()})
	if err != nil {
		return "", err
	}
	var out struct {
		ErrNo  int    `json:"err_no"`
		ErrMsg string `json:"err_msg"`
		Data   struct {
			URLLink string `json:"url_link"`
		} `json:"data"`
	}
	if err := c.postWithToken(ctx, "/api/apps/v1/url_link/generate/", token, body, &out); err != nil {
		return "", err
	}
	if out.ErrNo != 0 {
		return "", &APIError{Code: out.ErrNo, Message: out.ErrMsg}
	}
	if !strings.HasPrefix(out.Data.URLLink, "https://") {
		return "", fmt.Errorf("%w: url_link/generate: no https URL Link in the answer", ErrUnavailable)
	}
	return out.Data.URLLink, nil
}

// post sends a JSON body and decodes Douyin's JSON answer into out.
func (c *Client) post(ctx context.Context, path string, body []byte, out any) error {
	return c.postWithToken(ctx, path, "", body, out)
}

// postWithToken is post with the access-token header Douyin's OpenAPI
// wants (none for the token endpoint itself).
func (c *Client) postWithToken(ctx context.Context, path, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("access-token", token)
	}
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
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s: answer is not JSON", ErrUnavailable, path)
	}
	return nil
}
