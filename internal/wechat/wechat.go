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
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBase is WeChat's API host.
const DefaultBase = "https://api.weixin.qq.com"

// maxResponse bounds what is read of an answer: a token's is a few hundred
// bytes, a sun code's image some hundred kilobytes.
const maxResponse = 4 << 20

// Error codes a merchant can act on, or that the token logic acts on.
const (
	CodeInvalidCredential = 40001 // access token invalid or not the latest
	CodeInvalidAppID      = 40013
	CodeInvalidToken      = 40014
	CodeBadSecret         = 40125
	CodeTokenExpired      = 42001
	CodeIPNotAllowed      = 40164 // the calling address is not on the app's IP allowlist
	CodeBadPagePath       = 40165 // URL Link or scheme: the page does not exist
	CodeNoPage            = 41030 // sun code: the page does not exist or is not published
	CodeRateLimited       = 45009 // an API's daily call limit
	CodeTooFast           = 44990 // more than 5,000 calls a minute
	CodeDailyQuota        = 44993 // the day's 500,000 URL Links and schemes are used up
	CodeNotPublished      = 85079 // the mini program has no published version
	CodeUnauthorized      = 48001 // the app may not use this API
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
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout,
		// A redirect is an error, never followed: Go would send the body
		// (a secret) and custom headers (a token) again, wherever it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
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
	if err := c.post(ctx, "/cgi-bin/stable_token", "", body, &out); err != nil {
		return Token{}, err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return Token{}, fmt.Errorf("%w: stable_token: no token in the answer", ErrUnavailable)
	}
	return Token{Value: out.AccessToken, ExpiresAt: now.Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// post sends a JSON body and decodes WeChat's JSON answer into out, or
// returns its errcode as an *APIError.
func (c *Client) post(ctx context.Context, path, token string, body []byte, out any) error {
	data, _, err := c.send(ctx, path, token, body)
	if err != nil {
		return err
	}
	return decode(path, data, out)
}

// send posts a JSON body (with the access token in the query, as WeChat
// wants it) and returns the answer's body and media type. Errors never
// carry the URL, which holds the token.
func (c *Client) send(ctx context.Context, path, token string, body []byte) ([]byte, string, error) {
	u := c.base + path
	if token != "" {
		u += "?access_token=" + url.QueryEscape(token)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: bad request", ErrUnavailable, path)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL and its token
		}
		return nil, "", fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%w: %s: HTTP %d", ErrUnavailable, path, resp.StatusCode)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return data, mt, nil
}

// decode reads WeChat's JSON answer into out, or its errcode as an
// *APIError.
func decode(path string, data []byte, out any) error {
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

// Launch is where a URL Link or a sun code opens the mini program.
type Launch struct {
	Path       string // a published page, no leading slash, no query; empty: the home page
	Query      string // at most 1024 characters of WeChat's set (URL Links)
	EnvVersion string // release (default), trial or develop
}

// GenerateURLLink makes a URL Link (POST /wxa/generate_urllink) that opens
// the mini program at l until expires (at most 30 days ahead).
func (c *Client) GenerateURLLink(ctx context.Context, token string, l Launch, expires time.Time) (string, error) {
	body, err := json.Marshal(map[string]any{"path": l.Path, "query": l.Query, "env_version": envVersion(l.EnvVersion),
		"expire_type": 0, "expire_time": expires.Unix()})
	if err != nil {
		return "", err
	}
	var out struct {
		URLLink string `json:"url_link"`
	}
	if err := c.post(ctx, "/wxa/generate_urllink", token, body, &out); err != nil {
		return "", err
	}
	if !strings.HasPrefix(out.URLLink, "https://") {
		return "", fmt.Errorf("%w: generate_urllink: no https URL Link in the answer", ErrUnavailable)
	}
	return out.URLLink, nil
}

// GenerateScheme makes an encrypted URL Scheme (POST /wxa/generatescheme,
// weixin://dl/business/?t=...) that opens the mini program at l from a
// phone's browser until expires (at most 30 days ahead), with no console
// declaration of the page.
func (c *Client) GenerateScheme(ctx context.Context, token string, l Launch, expires time.Time) (string, error) {
	body, err := json.Marshal(map[string]any{
		"jump_wxa":    map[string]string{"path": l.Path, "query": l.Query, "env_version": envVersion(l.EnvVersion)},
		"is_expire":   true, // ignored since 2022: schemes always expire
		"expire_type": 0, "expire_time": expires.Unix()})
	if err != nil {
		return "", err
	}
	var out struct {
		OpenLink string `json:"openlink"`
	}
	if err := c.post(ctx, "/wxa/generatescheme", token, body, &out); err != nil {
		return "", err
	}
	if !strings.HasPrefix(out.OpenLink, "weixin://") {
		return "", fmt.Errorf("%w: generatescheme: no weixin:// scheme in the answer", ErrUnavailable)
	}
	return out.OpenLink, nil
}

func envVersion(v string) string {
	if v == "" {
		return "release"
	}
	return v
}

// SunCode are the options of a mini program code (wxacode.getUnlimited).
type SunCode struct {
	Scene      string // at most 32 visible characters of WeChat's set
	Page       string // a published page, no leading slash, no query
	CheckPath  bool   // false: the page need not be published yet
	EnvVersion string
	Width      int // 280 to 1280 px; 0: WeChat's default (430)
	LineColor  *[3]uint8
	Hyaline    bool // transparent background
}

// GetUnlimited returns a mini program code's image and its media type
// (POST /wxa/getwxacodeunlimit): WeChat answers an image, or JSON with an
// errcode.
func (c *Client) GetUnlimited(ctx context.Context, token string, o SunCode) ([]byte, string, error) {
	req := map[string]any{"scene": o.Scene, "page": o.Page, "check_path": o.CheckPath,
		"env_version": envVersion(o.EnvVersion), "is_hyaline": o.Hyaline}
	if o.Width != 0 {
		req["width"] = o.Width
	}
	if o.LineColor != nil {
		req["auto_color"] = false
		req["line_color"] = map[string]uint8{"r": o.LineColor[0], "g": o.LineColor[1], "b": o.LineColor[2]}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, "", err
	}
	data, mt, err := c.send(ctx, "/wxa/getwxacodeunlimit", token, body)
	if err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(mt, "image/") {
		var none struct{}
		if err := decode("/wxa/getwxacodeunlimit", data, &none); err != nil {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("%w: getwxacodeunlimit: answer is neither an image nor an error", ErrUnavailable)
	}
	return data, mt, nil
}
