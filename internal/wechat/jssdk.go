package wechat

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// JSAPITicket fetches a service account's JS-SDK ticket (GET
// /cgi-bin/ticket/getticket?type=jsapi) with its access token. It lives
// 7,200 s; WeChat limits how often it may be fetched, so callers share one
// per account.
func (c *Client) JSAPITicket(ctx context.Context, token string, now time.Time) (Token, error) {
	const path = "/cgi-bin/ticket/getticket"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.base+path+"?access_token="+url.QueryEscape(token)+"&type=jsapi", nil)
	if err != nil {
		return Token{}, fmt.Errorf("%w: %s: bad request", ErrUnavailable, path)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL and its token
		}
		return Token{}, fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return Token{}, fmt.Errorf("%w: %s: %w", ErrUnavailable, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Token{}, fmt.Errorf("%w: %s: HTTP %d", ErrUnavailable, path, resp.StatusCode)
	}
	var out struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if err := decode(path, data, &out); err != nil {
		return Token{}, err
	}
	if out.Ticket == "" || out.ExpiresIn <= 0 {
		return Token{}, fmt.Errorf("%w: getticket: no ticket in the answer", ErrUnavailable)
	}
	return Token{Value: out.Ticket, ExpiresAt: now.Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}

// Signature signs a page for wx.config (JS-SDK appendix 1): SHA-1 of
// jsapi_ticket, noncestr, timestamp and url in that (sorted) order, url
// being the page's full address without its #fragment.
func Signature(ticket, nonce string, timestamp int64, pageURL string) string {
	sum := sha1.Sum([]byte("jsapi_ticket=" + ticket + "&noncestr=" + nonce +
		"&timestamp=" + strconv.FormatInt(timestamp, 10) + "&url=" + pageURL))
	return hex.EncodeToString(sum[:])
}
