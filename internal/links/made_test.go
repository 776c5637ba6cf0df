package links

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestPutMade: a launch link is kept for the slot it was made for, served
// by Lookup (the scan path's cache) at once, dropped by an edit of its
// target, refused when the slot changed meanwhile or when it is not one of
// the platform's forms.
func TestPutMade(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	l := mustCreate(t, s, "acme", `{"code":"MADE1","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"},
		"douyin":{"appid":"tt1234567890abcdef","path":"pages/a"}}}`)
	wx, dy := l.Slots(MadeWeChat)[0], l.Slots(MadeDouyin)[0]
	if wx.Query != "scene=MADE1" {
		t.Errorf("slot query %q, want scene=MADE1", wx.Query)
	}
	if _, err := s.Lookup(ctx, "MADE1"); err != nil { // cached from now on
		t.Fatal(err)
	}
	put := func(slot Slot, kind, url string) error {
		return s.PutMade(ctx, "acme", "MADE1", slot, Made{Kind: kind, URL: url, ExpiresAt: now.Add(time.Hour), MadeAt: now})
	}
	for _, bad := range []struct {
		slot      Slot
		kind, url string
	}{
		{wx, KindURLLink, "https://evil.example/x"},
		{wx, KindScheme, "weixin://dl/business/?t=a\"><script>"},
		{wx, KindScheme, "javascript:alert(1)"},
		{dy, KindURLLink, "https://z.douyin.com.evil.example/x"},
		{dy, KindURLLink, "http://z.douyin.com/x"},
	} {
		if err := put(bad.slot, bad.kind, bad.url); err == nil {
			t.Errorf("PutMade(%s %s %q) accepted", bad.slot.Platform, bad.kind, bad.url)
		}
	}
	if err := put(wx, KindURLLink, "https://wxaurl.cn/AAA"); err != nil {
		t.Fatal(err)
	}
	if err := put(dy, KindURLLink, "https://z.douyin.com/BBB"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Lookup(ctx, "MADE1")
	if err != nil || got.MadeURL(MadeWeChat, KindURLLink, "", "", now) != "https://wxaurl.cn/AAA" ||
		got.MadeURL(MadeDouyin, KindURLLink, "", "", now) != "https://z.douyin.com/BBB" || got.MadeRev != 2 {
		t.Fatalf("Lookup after PutMade = %+v, %v; want both launch links, rev 2", got, err)
	}
	if got.MadeURL(MadeWeChat, KindURLLink, "", "", now.Add(time.Hour)) != "" {
		t.Error("an expired launch link is served")
	}
	if _, err := s.Update(ctx, "acme", "MADE1", edit(func(in *Input) { in.Targets.WeChat.Path = "pages/b" })); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Lookup(ctx, "MADE1")
	if got.MadeURL(MadeWeChat, KindURLLink, "", "", now) != "" || got.MadeURL(MadeDouyin, KindURLLink, "", "", now) == "" {
		t.Errorf("after a WeChat page edit: made %+v; want WeChat's dropped and Douyin's kept", got.Made)
	}
	if err := put(wx, KindURLLink, "https://wxaurl.cn/OLD"); !errors.Is(err, ErrSlotChanged) {
		t.Errorf("PutMade for the old page = %v, want ErrSlotChanged", err)
	}
	if err := s.PutMade(ctx, "other", "MADE1", dy, Made{Kind: KindURLLink, URL: "https://z.douyin.com/X", ExpiresAt: now.Add(time.Hour)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's PutMade = %v, want ErrNotFound", err)
	}
}
