package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/douyin"
	"github.com/scangate/scangate/internal/wechat"
)

// TestPlatformErrors: what the platforms answer, or fail to, reaches the
// merchant as something to act on, never as the data store's trouble.
func TestPlatformErrors(t *testing.T) {
	timeout := fmt.Errorf("%w: /wxa/getwxacodeunlimit: %w", wechat.ErrUnavailable, context.DeadlineExceeded)
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"unpublished page", &wechat.APIError{Code: wechat.CodeNoPage, Message: "invalid page"}, http.StatusUnprocessableEntity, "wechat_refused"},
		{"wrong secret", &wechat.APIError{Code: wechat.CodeBadSecret}, http.StatusUnprocessableEntity, "wechat_refused"},
		{"rate limited", &wechat.APIError{Code: wechat.CodeRateLimited}, http.StatusServiceUnavailable, "busy"},
		{"another WeChat error", &wechat.APIError{Code: -1, Message: "system error"}, http.StatusBadGateway, "wechat_error"},
		{"WeChat timeout", timeout, http.StatusBadGateway, "platform_unavailable"},
		{"WeChat HTTP 500", fmt.Errorf("%w: HTTP 500", wechat.ErrUnavailable), http.StatusBadGateway, "platform_unavailable"},
		{"Douyin error", &douyin.APIError{Code: douyin.CodeInvalidToken}, http.StatusBadGateway, "douyin_error"},
		{"Douyin unreachable", fmt.Errorf("%w: x", douyin.ErrUnavailable), http.StatusBadGateway, "platform_unavailable"},
		{"refused credentials", fmt.Errorf("%w: 40125 invalid appsecret", apps.ErrRefused), http.StatusUnprocessableEntity, "app_credentials_refused"},
		{"taken app id", apps.ErrTaken, http.StatusConflict, "app_taken"},
		{"no secrets key", apps.ErrNoKey, http.StatusServiceUnavailable, "secrets_key_missing"},
		{"token being fetched", apps.ErrBusy, http.StatusServiceUnavailable, "busy"},
	} {
		if status, body := classify(tc.err); status != tc.status || body.Code != tc.code {
			t.Errorf("%s: classify = %d %s, want %d %s", tc.name, status, body.Code, tc.status, tc.code)
		}
	}
}
