package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/auth"
)

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleSession is a browser-like client signed in to a gateway's
// console as a new user of tenant with role; it returns the client and
// a function that GETs a page, with its status, body and CSRF token.
func consoleSession(t *testing.T, base, tenant, email string, role auth.Role) (*http.Client, func(path string) (int, string, string)) {
	t.Helper()
	ctx := context.Background()
	rdb := redis.NewClient(redisSrv.Options()) // the gateway's store, not flushed
	t.Cleanup(func() { rdb.Close() })
	keys := auth.NewStore(rdb)
	if _, err := keys.CreateUser(ctx, tenant, email, role); err != nil {
		t.Fatal(err)
	}
	tok, err := keys.SetupToken(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.SetPassword(ctx, tok, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		csrf := ""
		if m := csrfInput.FindStringSubmatch(string(b)); m != nil {
			csrf = m[1]
		}
		return resp.StatusCode, string(b), csrf
	}
	_, _, csrf := get("/console/login")
	resp, err := c.PostForm(base+"/console/login", url.Values{"csrf": {csrf}, "email": {email}, "password": {"correct horse battery"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	resp.Body.Close()
	return c, get
}

func postPage(t *testing.T, c *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestConsolePlatformApps: an admin registers the tenant's WeChat mini
// program in the console's settings; its credentials are checked with
// WeChat at once and its state shown, a refused secret shows WeChat's
// code, a bad app id keeps what was typed, the secret is never shown;
// another tenant cannot take the app id, a viewer cannot write; removed,
// the app is gone.
func TestConsolePlatformApps(t *testing.T) {
	base, key, calls := wechatGateway(t)
	c, get := consoleSession(t, base, auth.DefaultTenant, "ann@example.com", auth.RoleAdmin)
	_, page, csrf := get("/console/settings")
	if !strings.Contains(page, `action="/console/settings/apps"`) {
		t.Fatalf("the settings page has no app form:\n%s", page)
	}
	form := func(appID, secret string) url.Values {
		return url.Values{"csrf": {csrf}, "platform": {"wechat"}, "appid": {appID}, "secret": {secret}}
	}
	if status, body := postPage(t, c, base+"/console/settings/apps", form(testWxApp, testWxSecret)); status != http.StatusSeeOther {
		t.Fatalf("registering the app = %d:\n%s", status, body)
	}
	if calls.Load() != 1 {
		t.Errorf("%d token fetches for registering, want 1 (the check)", calls.Load())
	}
	_, page, _ = get("/console/settings")
	row := regexp.MustCompile(`(?s)<tr data-app="` + testWxApp + `">.*?</tr>`).FindString(page)
	if !strings.Contains(row, `app-ok`) || strings.Contains(page, testWxSecret) {
		t.Errorf("the app's row after registering: %q (or the page shows the secret)", row)
	}

	wrong := "ffffffffffffffffffffffffffffffff"
	status, body := postPage(t, c, base+"/console/settings/apps", form(testWxApp, wrong))
	if status != http.StatusOK || !strings.Contains(body, "40125") || !strings.Contains(body, "app-error") || strings.Contains(body, wrong) {
		t.Errorf("a refused secret = %d; WeChat's 40125 and the error state not shown, or the secret is", status)
	}
	status, body = postPage(t, c, base+"/console/settings/apps", form("wx123", testWxSecret))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "AppID：微信 AppID 为 wx 加 16 位小写十六进制字符") || !strings.Contains(body, `name="appid" value="wx123"`) || strings.Contains(body, testWxSecret) {
		t.Errorf("a bad app id = %d; the error, the typed id kept, or the secret left out: wrong", status)
	}

	// Another tenant's admin: the app id is taken (its state is error now,
	// from the refused secret, so a working secret takes it over: put the
	// right one back first).
	postPage(t, c, base+"/console/settings/apps", form(testWxApp, testWxSecret))
	oc, oget := consoleSession(t, base, "globex", "bob@example.com", auth.RoleAdmin)
	_, opage, ocsrf := oget("/console/settings")
	if strings.Contains(opage, testWxApp) {
		t.Error("another tenant's settings show the app")
	}
	status, body = postPage(t, oc, base+"/console/settings/apps", url.Values{"csrf": {ocsrf}, "platform": {"wechat"}, "appid": {testWxApp}, "secret": {testWxSecret}})
	if status != http.StatusConflict || strings.Contains(body, "ann@example.com") {
		t.Errorf("another tenant registering the app id = %d, want 409 naming no one", status)
	}
	if status, _ := postPage(t, oc, base+"/console/settings/apps/delete", url.Values{"csrf": {ocsrf}, "platform": {"wechat"}, "appid": {testWxApp}}); status != http.StatusNotFound {
		t.Errorf("another tenant removing the app = %d, want 404", status)
	}
	vc, vget := consoleSession(t, base, auth.DefaultTenant, "vic@example.com", auth.RoleViewer)
	_, vpage, vcsrf := vget("/console/settings")
	if strings.Contains(vpage, `action="/console/settings/apps"`) {
		t.Error("a viewer sees the app form")
	}
	if status, _ := postPage(t, vc, base+"/console/settings/apps", url.Values{"csrf": {vcsrf}, "platform": {"wechat"}, "appid": {testWxApp}, "secret": {wrong}}); status != http.StatusForbidden {
		t.Errorf("a viewer registering an app = %d, want 403", status)
	}

	// With the app registered, a campaign's codes print as sun codes.
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"SUN01","campaign":"spring","targets":{"wechat":{"appid":"`+testWxApp+`","path":"pages/menu/index"}}}`); status != http.StatusCreated {
		t.Fatalf("create a WeChat link = %d %s", status, body)
	}
	if _, page, _ := get("/console/campaigns/spring"); !strings.Contains(page, `<option value="wxacode">`) {
		t.Error("the campaign page does not offer sun codes")
	}
	resp, err := c.PostForm(base+"/console/campaigns/spring/print", url.Values{"csrf": {csrf}, "format": {"wxacode"}})
	if err != nil {
		t.Fatal(err)
	}
	zipped, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || !bytes.HasPrefix(zipped, []byte("PK")) {
		t.Errorf("the campaign's sun codes = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// A new secret for signed conversions, shown once.
	status, body = postPage(t, c, base+"/console/settings/event-secret", url.Values{"csrf": {csrf}})
	secret := regexp.MustCompile(`id="shown-secret">([^<]+)<`).FindStringSubmatch(body)
	if status != http.StatusOK || secret == nil {
		t.Fatalf("a new events secret = %d, none shown", status)
	}
	if _, page, _ := get("/console/settings"); strings.Contains(page, secret[1]) {
		t.Error("the events secret is shown again")
	}

	if status, _ := postPage(t, c, base+"/console/settings/apps/delete", url.Values{"csrf": {csrf}, "platform": {"wechat"}, "appid": {testWxApp}}); status != http.StatusSeeOther {
		t.Errorf("removing the app = %d", status)
	}
	if _, page, _ := get("/console/settings"); strings.Contains(page, `data-app="`+testWxApp) {
		t.Error("the removed app is still listed")
	}
}
