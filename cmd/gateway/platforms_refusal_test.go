package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/scangate/scangate/internal/douyin"
	"github.com/scangate/scangate/internal/urllinks"
	"github.com/scangate/scangate/internal/wechat"
)

// TestRefusals: what each platform's code means for the gateway: passing
// trouble (tried again in a minute), a limit, a refusal of the app, or of
// one page.
func TestRefusals(t *testing.T) {
	type want struct {
		refused, app, minute, daily bool
	}
	check := func(name string, r urllinks.Refusal, ok bool, w want) {
		t.Helper()
		if got := (want{ok, r.App, r.PerMinute, r.Daily}); got != w {
			t.Errorf("%s: %+v, want %+v", name, got, w)
		}
	}
	for _, tc := range []struct {
		code int
		w    want
	}{
		{-1, want{}},
		{wechat.CodeInvalidCredential, want{}}, // stale token: refreshed, not refused
		{wechat.CodeTooFast, want{refused: true, minute: true}},
		{wechat.CodeRateLimited, want{refused: true, daily: true}},
		{wechat.CodeDailyQuota, want{refused: true, daily: true}},
		{wechat.CodeNotPublished, want{refused: true, app: true}},
		{wechat.CodeUnauthorized, want{refused: true, app: true}},
		{wechat.CodeBadPagePath, want{refused: true}},
	} {
		r, ok := wechatLinks{}.Refused(&wechat.APIError{Code: tc.code})
		check(fmt.Sprintf("wechat %d", tc.code), r, ok, tc.w)
	}
	for _, tc := range []struct {
		code int
		w    want
	}{
		{28001005, want{}},
		{douyin.CodeTokenExpired, want{}},
		{28003018, want{refused: true, minute: true}},
		{28003017, want{refused: true, daily: true}},
		{28001016, want{refused: true, app: true}},
		{28001007, want{refused: true}},
	} {
		r, ok := douyinLinks{}.Refused(&douyin.APIError{Code: tc.code})
		check(fmt.Sprintf("douyin %d", tc.code), r, ok, tc.w)
	}
	if _, ok := (wechatLinks{}).Refused(errors.New("connection refused")); ok {
		t.Error("a network error is a refusal")
	}
	for code, refused := range map[int]bool{-1: false, wechat.CodeRateLimited: false, wechat.CodeIPNotAllowed: true, wechat.CodeBadSecret: true} {
		if _, _, ok := (ticketFetcher{}).Refused(&wechat.APIError{Code: code}); ok != refused {
			t.Errorf("ticket %d: refused %v, want %v", code, ok, refused)
		}
	}
}
