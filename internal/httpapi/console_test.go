package httpapi

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
)

// consoleServer serves the gateway over HTTP, with ann@example.com, of
// tenant acme, signed up with role and "correct horse battery".
func (e *testEnv) consoleServer(role auth.Role) *httptest.Server {
	e.t.Helper()
	srv := httptest.NewServer(e.srv.Handler())
	e.t.Cleanup(srv.Close)
	e.consoleUser("acme", "ann@example.com", role, "correct horse battery")
	return srv
}

// consoleUser creates a console user with a password.
func (e *testEnv) consoleUser(tenant, email string, role auth.Role, password string) {
	e.t.Helper()
	ctx := context.Background()
	keys := e.srv.deps.Keys
	if _, err := keys.CreateUser(ctx, tenant, email, role); err != nil {
		e.t.Fatal(err)
	}
	tok, err := keys.SetupToken(ctx, email)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := keys.SetPassword(ctx, tok, password); err != nil {
		e.t.Fatal(err)
	}
}

// TestConsoleInBrowser: a merchant signs in in real Chromium, in Chinese
// by default, and sees the tenant's links (not another tenant's), found
// by a Chinese search, under the console's CSP with no violation.
func TestConsoleInBrowser(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"T2F07","title":"二楼靠窗七号桌","campaign":"spring","targets":{"web":{"url":"https://e.com/7"}}}`)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"T1F01","title":"一楼门口","targets":{"web":{"url":"https://e.com/1"}}}`)
	e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"GLX01","title":"二楼 globex","targets":{"web":{"url":"https://e.com/g"}}}`)

	const ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
	b := newBrowser(t, ua)
	b.run(t, emulation.SetUserAgentOverride(ua).WithAcceptLanguage("zh-CN,zh;q=0.9,en;q=0.8")) // a phone in China
	var lang, heading, table, searched string
	var violations []string
	b.run(t,
		cspProbe,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, "Ann@Example.com"),
		chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`table.links`),
		chromedp.Evaluate(`document.documentElement.lang`, &lang),
		chromedp.Text(`h1`, &heading),
		chromedp.Text(`table.links tbody`, &table),
		chromedp.Evaluate(`window.__csp || []`, &violations),
	)
	if lang != "zh-CN" || heading != "链接" {
		t.Errorf("signed in: lang %q, heading %q; want Chinese", lang, heading)
	}
	if !strings.Contains(table, "T2F07") || !strings.Contains(table, "二楼靠窗七号桌") || !strings.Contains(table, "T1F01") || strings.Contains(table, "GLX01") {
		t.Errorf("the links table: %q", table)
	}
	b.run(t,
		chromedp.SendKeys(`input[name=q]`, "靠窗"),
		chromedp.Submit(`input[name=q]`),
		// The results page (its search box written with the query), not
		// the list still shown while it loads: typing sets the box's
		// value, not its attribute.
		chromedp.WaitVisible(`input[name=q][value="靠窗"]`),
		chromedp.WaitVisible(`table.links`),
		chromedp.Text(`table.links tbody`, &searched),
		chromedp.Evaluate(`window.__csp || []`, &violations),
	)
	if !strings.Contains(searched, "T2F07") || strings.Contains(searched, "T1F01") {
		t.Errorf("search 靠窗: %q", searched)
	}
	if len(violations) != 0 {
		t.Errorf("CSP violations: %v", violations)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.consoleErrs) != 0 {
		t.Errorf("script errors: %v", b.consoleErrs)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// cookieNamed is the cookie resp sets by that name, or nil.
func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// TestConsoleCookiesOverHTTP: on a gateway reached over plain HTTP (the
// quick start on localhost), where browsers refuse a __Host- cookie, the
// session cookie is sg_session, kept to /console, and sign-in works.
func TestConsoleCookiesOverHTTP(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PublicBaseURL = "http://localhost:8080" })
	srv := e.consoleServer(auth.RoleAdmin)
	c := consoleClient(t)
	resp, tok := signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	ck := cookieNamed(resp, sessionCookie)
	if resp.StatusCode != http.StatusSeeOther || tok == "" || ck == nil || ck.Secure || ck.Path != "/console" || !ck.HttpOnly {
		t.Errorf("sign-in over HTTP = %d, session cookie %+v", resp.StatusCode, ck)
	}
	if r, _ := getBody(t, c, srv.URL+"/console/links"); r.StatusCode != http.StatusOK {
		t.Errorf("signed in over HTTP, /console/links = %d", r.StatusCode)
	}
}

// consoleClient is a cookie-keeping client that does not follow redirects.
func consoleClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func getBody(t *testing.T, c *http.Client, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, b.String()
}

// signIn signs a client in through the form and returns the session's
// CSRF token.
func signIn(t *testing.T, c *http.Client, base, email, password string) (*http.Response, string) {
	t.Helper()
	_, page := getBody(t, c, base+"/console/login")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page:\n%s", page)
	}
	resp, err := c.PostForm(base+"/console/login", url.Values{"csrf": {m[1]}, "email": {email}, "password": {password}, "next": {"/console/links?q=x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, links := getBody(t, c, base+"/console/links")
	tok := ""
	if m := csrfField.FindStringSubmatch(links); m != nil {
		tok = m[1]
	}
	return resp, tok
}

func TestConsoleSessionsAndCSRF(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleViewer)

	c := consoleClient(t)
	// Signed out: pages lead to the sign-in, and back after it.
	if resp, _ := getBody(t, c, srv.URL+"/console/links?q=x"); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/console/login?next=%2Fconsole%2Flinks%3Fq%3Dx" {
		t.Errorf("signed out /console/links = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The sign-in form refuses a post without its token.
	resp, err := c.PostForm(srv.URL+"/console/login", url.Values{"email": {"ann@example.com"}, "password": {"correct horse battery"}})
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the CSRF token = %v %v", resp.StatusCode, err)
	}
	resp, tok := signIn(t, c, srv.URL, "ann@example.com", "wrong password!")
	if resp.StatusCode != http.StatusUnauthorized || tok != "" {
		t.Errorf("a wrong password = %d", resp.StatusCode)
	}
	resp, tok = signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/links?q=x" || tok == "" {
		t.Fatalf("sign-in = %d %q, token %q", resp.StatusCode, resp.Header.Get("Location"), tok)
	}
	// Behind HTTPS (the gateway's public URL) the session is a __Host-
	// cookie: Secure, for the whole host, settable by no subdomain.
	if ck := cookieNamed(resp, "__Host-"+sessionCookie); ck == nil || !ck.HttpOnly || !ck.Secure || ck.Path != "/" ||
		ck.SameSite != http.SameSiteLaxMode || len(ck.Value) != 43 {
		t.Errorf("session cookie %+v, want __Host-%s, HttpOnly, Secure, Path=/, SameSite=Lax", ck, sessionCookie)
	}
	// Pages carry the console's CSP and are not cached.
	r, page := getBody(t, c, srv.URL+"/console/links", "Accept-Language", "en-US,en;q=0.9")
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") ||
		r.Header.Get("Cache-Control") != "no-store" || !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, "read only") {
		t.Errorf("links page: CSP %q, Cache-Control %q, English viewer page? %v", csp, r.Header.Get("Cache-Control"), strings.Contains(page, `lang="en"`))
	}
	// Sign-out without the token is refused; with it, the session ends.
	resp, _ = c.PostForm(srv.URL+"/console/logout", url.Values{})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token = %d", resp.StatusCode)
	}
	resp, _ = c.PostForm(srv.URL+"/console/logout", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out = %d", resp.StatusCode)
	}
	if resp, _ := getBody(t, c, srv.URL+"/console/links"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out /console/links = %d", resp.StatusCode)
	}
	// A destination outside the console is not followed.
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/api/v1/links"} {
		if got := safeNext(next); got != "/console/links" {
			t.Errorf("safeNext(%q) = %q", next, got)
		}
	}
	// The root leads to the console.
	if r, _ := getBody(t, c, srv.URL+"/"); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/console/" {
		t.Errorf("GET / = %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestConsoleLinkForm: in Chromium, a link with a bad WeChat app id shows
// the error next to that input and keeps what was typed; fixed, it is
// created and shown; an edit and a revert go through the history.
func TestConsoleLinkForm(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	b := newBrowser(t, "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36")
	var fieldErr, title, kept string
	var violations []string
	b.run(t,
		cspProbe,
		browserSignIn(srv.URL, "/console/links/new", "ann@example.com", "correct horse battery"),
		chromedp.WaitVisible(`input[name="targets.wechat.appid"]`),
		chromedp.SendKeys(`input[name=code]`, "TBL-07"),
		chromedp.SendKeys(`input[name=title]`, "二楼靠窗七号桌"),
		chromedp.SendKeys(`input[name="targets.wechat.appid"]`, "not-an-appid"),
		chromedp.SendKeys(`input[name="targets.wechat.path"]`, "pages/menu/index"),
		chromedp.Submit(`input[name=title]`),
		chromedp.WaitVisible(`#err-targets\.wechat\.appid`),
		chromedp.Text(`#err-targets\.wechat\.appid`, &fieldErr),
		chromedp.Value(`input[name=title]`, &kept),
	)
	if fieldErr == "" || kept != "二楼靠窗七号桌" {
		t.Errorf("bad app id: error %q next to the input, title kept %q", fieldErr, kept)
	}
	b.run(t,
		chromedp.SetValue(`input[name="targets.wechat.appid"]`, "wx0123456789abcdef"),
		chromedp.Submit(`input[name=title]`),
		chromedp.WaitVisible(`img.qr`),
		chromedp.Text(`h1`, &title),
		chromedp.Evaluate(`window.__csp || []`, &violations),
	)
	if !strings.Contains(title, "TBL-07") || !strings.Contains(title, "二楼靠窗七号桌") {
		t.Errorf("after the fix, the link page's heading is %q", title)
	}
	// Retarget by editing the form, then revert to version 1.
	var history, afterRevert string
	b.run(t,
		chromedp.SetValue(`input[name="targets.wechat.path"]`, "pages/dinner/index"),
		chromedp.Submit(`input[name=title]`),
		chromedp.WaitVisible(`ol.history li:nth-child(2)`),
		chromedp.Text(`ol.history`, &history),
		chromedp.Click(`ol.history li:nth-child(2) button`),
		chromedp.WaitVisible(`ol.history li:nth-child(3)`),
		chromedp.Value(`input[name="targets.wechat.path"]`, &afterRevert),
	)
	if !strings.Contains(history, "v2") || !strings.Contains(history, "user:ann@example.com") {
		t.Errorf("history after the edit: %q", history)
	}
	if afterRevert != "pages/menu/index" {
		t.Errorf("after reverting to v1 the path is %q", afterRevert)
	}
	if len(violations) != 0 {
		t.Errorf("CSP violations: %v", violations)
	}
	l, err := e.links.Get(context.Background(), "acme", "TBL-07")
	if err != nil || l.Targets.WeChat == nil || l.Targets.WeChat.Path != "pages/menu/index" || l.Version != 3 {
		t.Errorf("stored after the revert: %+v, %v", l, err)
	}
}

// TestConsoleTenantsAndRoles: another tenant's link is a 404; a viewer
// sees no write controls and the server refuses its writes.
func TestConsoleTenantsAndRoles(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.srv.Handler())
	t.Cleanup(srv.Close)
	e.consoleUser("acme", "vic@example.com", auth.RoleViewer, "correct horse battery")
	e.json("POST", "/api/v1/links", e.admin, `{"code":"ACME1","title":"acme","targets":{"web":{"url":"https://e.com/a"}}}`)
	e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"GLX01","title":"globex","targets":{"web":{"url":"https://e.com/g"}}}`)
	c := consoleClient(t)
	_, tok := signIn(t, c, srv.URL, "vic@example.com", "correct horse battery")
	if r, _ := getBody(t, c, srv.URL+"/console/links/GLX01"); r.StatusCode != http.StatusNotFound {
		t.Errorf("another tenant's link = %d, want 404", r.StatusCode)
	}
	r, page := getBody(t, c, srv.URL+"/console/links/ACME1")
	writes := regexp.MustCompile(`method="post" action="/console/links/ACME1[^"]*"|/console/links/new|>` + regexp.QuoteMeta(consoleTexts["zh-CN"]["save"]) + `<`)
	if r.StatusCode != http.StatusOK || writes.MatchString(page) {
		t.Errorf("a viewer's link page = %d, with write controls: %q", r.StatusCode, writes.FindString(page))
	}
	for _, path := range []string{"/console/links/ACME1", "/console/links/ACME1/pause", "/console/links/new"} {
		resp, err := c.PostForm(srv.URL+path, url.Values{"csrf": {tok}, "title": {"changed"}, "targets.web.url": {"https://e.com/x"}})
		if err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("a viewer's POST %s = %v %v, want 403", path, resp.StatusCode, err)
		}
	}
	if l, _ := e.links.Get(context.Background(), "acme", "ACME1"); l.Title != "acme" || l.Status == "paused" {
		t.Errorf("a viewer changed the link: %+v", l)
	}
}

// TestConsoleCampaignPage: in Chromium, a campaign's page shows its
// totals, a chart whose bars add up to them, breakdowns by host app, and
// its leaderboard; its print sheet is a PDF.
func TestConsoleCampaignPage(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	for i, code := range []string{"SP1", "SP2", "SP3"} {
		body := `{"code":"` + code + `","title":"春季 ` + code + `","campaign":"spring","targets":{"web":{"url":"https://e.com/` + code + `"}}}`
		if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		for range 3 - i { // SP1 ×3 from WeChat, SP2 ×2, SP3 ×1 from Safari
			ua := uaWeChatIOS
			if code == "SP3" {
				ua = uaSafariIOS
			}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, httptestRequest("GET", "/s/"+code, ua, "192.0.2.10:4000"))
		}
	}
	e.drainStats()

	b := newBrowser(t, "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36")
	var total, leaders, platforms string
	var barSum float64
	var violations []string
	b.run(t,
		cspProbe,
		browserSignIn(srv.URL, "/console/campaigns/spring", "ann@example.com", "correct horse battery"),
		chromedp.WaitVisible(`figure.chart svg`),
		chromedp.Text(`[data-total=scans]`, &total),
		chromedp.Evaluate(`[...document.querySelectorAll("figure.chart rect")].reduce((s, r) => s + Number(r.dataset.scans), 0)`, &barSum),
		chromedp.Text(`table.links tbody`, &leaders),
		chromedp.Text(`.cols2 .card:first-child table`, &platforms),
		chromedp.Evaluate(`window.__csp || []`, &violations),
	)
	if total != "6" || barSum != 6 {
		t.Errorf("campaign totals: scans %q, chart bars add up to %v; want 6", total, barSum)
	}
	if i1, i2 := strings.Index(leaders, "SP1"), strings.Index(leaders, "SP3"); i1 < 0 || i2 < i1 {
		t.Errorf("leaderboard: %q", leaders)
	}
	if !strings.Contains(platforms, "WeChat") && !strings.Contains(platforms, "微信") {
		t.Errorf("by host app: %q", platforms)
	}
	if len(violations) != 0 {
		t.Errorf("CSP violations: %v", violations)
	}
	// The print sheet.
	c := consoleClient(t)
	_, tok := signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	resp, err := c.PostForm(srv.URL+"/console/campaigns/spring/print", url.Values{"csrf": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := readBodyOf(resp); status != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
		t.Errorf("print sheet = %v %q", status, resp.Header.Get("Content-Type"))
	}
	// The codes as a zip of SVG images; a format the page does not offer
	// is refused on a page that says which are.
	resp, err = c.PostForm(srv.URL+"/console/campaigns/spring/print", url.Values{"csrf": {tok}, "format": {"svg"}})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := readBodyOf(resp); status != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(body, "PK") {
		t.Errorf("the campaign as a zip of SVGs = %d %q", status, resp.Header.Get("Content-Type"))
	}
	resp, _ = c.PostForm(srv.URL+"/console/campaigns/spring/print", url.Values{"csrf": {tok}, "format": {"gif"}})
	if status, body := readBodyOf(resp); status != http.StatusUnprocessableEntity || !strings.Contains(body, "pdf, png, svg") {
		t.Errorf("an unknown format = %d", status)
	}
	if r, body := getBody(t, c, srv.URL+"/console/campaigns/spring/stats.csv"); r.StatusCode != http.StatusOK ||
		!strings.HasPrefix(body, "\ufeffsection,key,scans,unique_visitors") || !strings.Contains(body, "total,all,6,") {
		t.Errorf("campaign CSV = %d %.200q", r.StatusCode, body)
	}
	if r, body := getBody(t, c, srv.URL+"/console/links/SP1/stats"); r.StatusCode != http.StatusOK || !strings.Contains(body, `data-total="scans">3<`) {
		t.Errorf("SP1's numbers = %d", r.StatusCode)
	}
	if r, _ := getBody(t, c, srv.URL+"/console/links/SP1/stats.csv"); r.StatusCode != http.StatusOK || r.Header.Get("Content-Disposition") != `attachment; filename="SP1-stats.csv"` {
		t.Errorf("SP1's CSV = %d %q", r.StatusCode, r.Header.Get("Content-Disposition"))
	}
	if r, _ := getBody(t, c, srv.URL+"/console/campaigns/Spring"); r.StatusCode != http.StatusNotFound {
		t.Errorf("a misspelt campaign = %d, want 404", r.StatusCode)
	}
}

// TestConsoleUpload: in Chromium, a GBK spreadsheet of 200 table codes
// with a bad row creates 199 and lists the bad row with its column.
func TestConsoleUpload(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	var csv strings.Builder
	csv.WriteString("code,title,campaign,targets.web.url\r\n")
	for i := 1; i <= 200; i++ {
		u := fmt.Sprintf("https://m.example.com/menu?t=%d", i)
		if i == 57 {
			u = "javascript:alert(1)"
		}
		fmt.Fprintf(&csv, "T%03d,二楼 %d 号桌,国庆,%s\r\n", i, i, u)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csv.String())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "tables.csv")
	if err := os.WriteFile(file, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36")
	var created, failed, rows string
	b.run(t,
		browserSignIn(srv.URL, "/console/links/upload", "ann@example.com", "correct horse battery"),
		chromedp.WaitVisible(`input[name=file]`),
		chromedp.SetUploadFiles(`input[name=file]`, []string{file}),
		chromedp.Submit(`input[name=file]`),
		chromedp.WaitVisible(`p.summary`),
		chromedp.AttributeValue(`p.summary`, "data-created", &created, nil),
		chromedp.AttributeValue(`p.summary`, "data-failed", &failed, nil),
		chromedp.Text(`table.failed tbody`, &rows),
	)
	if created != "199" || failed != "1" || !strings.Contains(rows, "57") || !strings.Contains(rows, "targets.web.url") {
		t.Errorf("upload: created %s, failed %s, rows %q", created, failed, rows)
	}
	if l, err := e.links.Get(context.Background(), "acme", "T200"); err != nil || l.Title != "二楼 200 号桌" || l.Campaign != "国庆" {
		t.Errorf("T200 = %+v, %v", l, err)
	}
}

// TestConsoleLive: in Chromium, the live page's counter goes up and the
// scan is listed when a code is scanned; another tenant's scan is not.
func TestConsoleLive(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleViewer)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"LIVE1","targets":{"web":{"url":"https://e.com/l"}}}`)
	e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"GLX01","targets":{"web":{"url":"https://e.com/g"}}}`)
	scan := func(code string) {
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, httptestRequest("GET", "/s/"+code, uaWeChatIOS, "192.0.2.10:4000"))
		if rec.Code >= 400 {
			t.Fatalf("scan %s: %d", code, rec.Code)
		}
	}
	b := newBrowser(t, "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36")
	b.run(t,
		cspProbe,
		browserSignIn(srv.URL, "/console/live", "ann@example.com", "correct horse battery"),
		chromedp.WaitVisible(`#live-count`),
	)
	scan("GLX01")
	scan("LIVE1")
	var list string
	var violations []string
	b.run(t,
		chromedp.Poll(`document.getElementById("live-count").textContent === "1"`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Text(`#live-list`, &list),
		chromedp.Evaluate(`window.__csp || []`, &violations),
	)
	// The entry reads as the page's language has it (this browser asks
	// for English): the host app by its name, the time in China.
	if !strings.Contains(list, "LIVE1") || strings.Contains(list, "GLX01") || !strings.Contains(list, "scan · WeChat") {
		t.Errorf("live list: %q", list)
	}
	if len(violations) != 0 {
		t.Errorf("CSP violations: %v", violations)
	}
}

var shownSecretRE = regexp.MustCompile(`id="shown-secret">([^<]+)<`)

// TestConsoleSettings: an admin invites a user (a one-time link that
// works) and creates an API key, shown once, that the API takes, then
// revokes it; a viewer sees only the quotas and cannot write.
func TestConsoleSettings(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	c := consoleClient(t)
	_, tok := signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	post := func(path string, form url.Values) (int, string) {
		form.Set("csrf", tok)
		resp, err := c.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 64<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	status, page := post("/console/settings/users", url.Values{"email": {"vic@example.com"}, "role": {"viewer"}})
	m := shownSecretRE.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil {
		t.Fatalf("invite = %d, no link shown", status)
	}
	link, _ := url.Parse(html.UnescapeString(m[1]))
	if u, err := e.srv.deps.Keys.SetupUser(context.Background(), link.Query().Get("token")); err != nil || u.Email != "vic@example.com" || u.Role != auth.RoleViewer {
		t.Errorf("the invitation link: %+v, %v", u, err)
	}
	if status, _ := post("/console/settings/users", url.Values{"email": {"vic@example.com"}, "role": {"admin"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("inviting an address in use = %d", status)
	}
	status, page = post("/console/settings/keys", url.Values{"role": {"viewer"}})
	m = shownSecretRE.FindStringSubmatch(page)
	if status != http.StatusOK || m == nil || !strings.HasPrefix(m[1], "sgk_") {
		t.Fatalf("create key = %d", status)
	}
	if rec := e.do("GET", "/api/v1/links", m[1], "", ""); rec.Code != http.StatusOK {
		t.Errorf("the console's key on the API = %d", rec.Code)
	}
	if _, again := getBody(t, c, srv.URL+"/console/settings"); strings.Contains(again, m[1]) {
		t.Error("the key is shown again")
	}
	k, err := e.srv.deps.Keys.Authenticate(context.Background(), m[1])
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := post("/console/settings/keys/revoke", url.Values{"id": {k.ID}}); status != http.StatusSeeOther {
		t.Errorf("revoke = %d", status)
	}
	if _, err := e.srv.deps.Keys.Authenticate(context.Background(), m[1]); err == nil {
		t.Error("a revoked key still authenticates")
	}
	// Another tenant's key cannot be revoked from here.
	other, _ := e.srv.deps.Keys.Authenticate(context.Background(), e.otherTenant)
	if status, _ := post("/console/settings/keys/revoke", url.Values{"id": {other.ID}}); status != http.StatusNotFound {
		t.Errorf("revoking another tenant's key = %d, want 404", status)
	}

	// Two admins who leave, each having made a key: disabled with the box
	// ticked (as the page has it), the key goes too; unticked, it stays.
	for _, tc := range []struct {
		email  string
		revoke bool
	}{{"bob@example.com", true}, {"cat@example.com", false}} {
		e.consoleUser("acme", tc.email, auth.RoleAdmin, "correct horse battery")
		bc := consoleClient(t)
		_, btok := signIn(t, bc, srv.URL, tc.email, "correct horse battery")
		resp, err := bc.PostForm(srv.URL+"/console/settings/keys", url.Values{"csrf": {btok}, "role": {"admin"}})
		if err != nil {
			t.Fatal(err)
		}
		_, body := readBodyOf(resp)
		m := shownSecretRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s made no key", tc.email)
		}
		if _, page := getBody(t, c, srv.URL+"/console/settings"); !strings.Contains(page, `<td>`+tc.email+`</td><td><form method="post" action="/console/settings/keys/revoke"`) ||
			!strings.Contains(page, `name="revoke_keys" value="1" checked`) {
			t.Errorf("the settings page does not name the key's maker, or the revoke box is not ticked")
		}
		form := url.Values{"email": {tc.email}}
		if tc.revoke {
			form.Set("revoke_keys", "1")
		}
		if status, _ := post("/console/settings/users/disable", form); status != http.StatusSeeOther {
			t.Fatalf("disable %s = %d", tc.email, status)
		}
		if rec := e.do("GET", "/api/v1/links", m[1], "", ""); (rec.Code == http.StatusOK) == tc.revoke {
			t.Errorf("%s disabled (revoke %v): their key answers %d", tc.email, tc.revoke, rec.Code)
		}
		if r, _ := getBody(t, bc, srv.URL+"/console/links"); r.StatusCode != http.StatusSeeOther {
			t.Errorf("%s disabled, their session still answers %d", tc.email, r.StatusCode)
		}
	}
	if rec := e.do("GET", "/api/v1/links", e.admin, "", ""); rec.Code != http.StatusOK {
		t.Errorf("a key made on the command line = %d after the disables", rec.Code)
	}
}

func readBodyOf(resp *http.Response) (int, string) {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestConsoleTrashDuplicateSignOutEverywhere: delete puts a link in the
// trash page, restore brings it back; duplicate fills the form with the
// link's fields but its code; signing out everywhere ends the other
// device's session.
func TestConsoleTrashDuplicateSignOutEverywhere(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"DUP01","title":"二楼靠窗","campaign":"spring","targets":{"web":{"url":"https://e.com/d"}}}`)
	c, other := consoleClient(t), consoleClient(t)
	_, tok := signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	signIn(t, other, srv.URL, "ann@example.com", "correct horse battery")

	_, form := getBody(t, c, srv.URL+"/console/links/new?from=DUP01")
	if !strings.Contains(form, `name="title" value="二楼靠窗"`) || !strings.Contains(form, `name="targets.web.url" value="https://e.com/d"`) ||
		!strings.Contains(form, `name="code" value=""`) {
		t.Errorf("the duplicate's form lacks the link's fields, or keeps its code")
	}
	if resp, _ := c.PostForm(srv.URL+"/console/links/DUP01/delete", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete = %d", resp.StatusCode)
	}
	if _, page := getBody(t, c, srv.URL+"/console/trash"); !strings.Contains(page, "DUP01") {
		t.Error("the deleted link is not in the trash page")
	}
	if resp, _ := c.PostForm(srv.URL+"/console/trash/DUP01/restore", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("restore = %d", resp.StatusCode)
	}
	if l, err := e.links.Get(context.Background(), "acme", "DUP01"); err != nil || l.DeletedAt != nil {
		t.Errorf("after restore: %+v, %v", l, err)
	}
	if r, _ := getBody(t, other, srv.URL+"/console/links"); r.StatusCode != http.StatusOK {
		t.Fatalf("the other device = %d", r.StatusCode)
	}
	if resp, _ := c.PostForm(srv.URL+"/console/logout/all", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out everywhere = %d", resp.StatusCode)
	}
	if r, _ := getBody(t, other, srv.URL+"/console/links"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the other device after signing out everywhere = %d, want a redirect to sign in", r.StatusCode)
	}
}

// TestConsoleLiveEndsWithTheSession: an open live stream ends once its
// session is signed out.
func TestConsoleLiveEndsWithTheSession(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	c := consoleClient(t)
	_, tok := signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	resp, err := c.Get(srv.URL + "/console/live/events")
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live stream = %v %v", resp, err)
	}
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 1024)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	if r, _ := c.PostForm(srv.URL+"/console/logout/all", url.Values{"csrf": {tok}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out everywhere = %d", r.StatusCode)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the live stream outlived its session")
	}
}

// TestConsoleQROptions: the link page's QR style options reach the
// preview's image, and a bad one is shown, the preview keeping the
// defaults.
func TestConsoleQROptions(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleViewer)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"QR1","targets":{"web":{"url":"https://e.com/q"}}}`)
	c := consoleClient(t)
	signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	_, page := getBody(t, c, srv.URL+"/console/links/QR1?size=1024&ecc=H&fg=%23003366&caption="+url.QueryEscape("扫码点餐"))
	m := regexp.MustCompile(`<img class="qr" src="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no preview")
	}
	src := html.UnescapeString(m[1])
	if r, _ := getBody(t, c, srv.URL+src); r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "image/png" {
		t.Errorf("preview %s = %d %q", src, r.StatusCode, r.Header.Get("Content-Type"))
	}
	u, _ := url.Parse(src)
	if q := u.Query(); q.Get("size") != "1024" || q.Get("ecc") != "H" || q.Get("fg") != "#003366" || q.Get("caption") != "扫码点餐" {
		t.Errorf("preview options: %v", q)
	}
	_, page = getBody(t, c, srv.URL+"/console/links/QR1?fg=%23ffffff")
	if !strings.Contains(page, `class="error"`) || !strings.Contains(page, `qr?size=512"`) {
		t.Error("a white-on-white code was not refused, or the preview did not fall back")
	}
}

// TestConsoleBulkActions: the selected links are paused (another tenant's,
// slipped into the selection, is not touched), and the list says how many.
func TestConsoleBulkActions(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	for _, code := range []string{"BK1", "BK2", "BK3"} {
		e.json("POST", "/api/v1/links", e.admin, `{"code":"`+code+`","targets":{"web":{"url":"https://e.com/b"}}}`)
	}
	e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"GLX09","targets":{"web":{"url":"https://e.com/g"}}}`)
	c := consoleClient(t)
	_, tok := signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	if _, page := getBody(t, c, srv.URL+"/console/links"); !strings.Contains(page, `name="code" value="BK1"`) {
		t.Fatal("no selection boxes on the list")
	}
	resp, err := c.PostForm(srv.URL+"/console/links/bulk", url.Values{"csrf": {tok}, "action": {"pause"},
		"code": {"BK1", "BK3", "GLX09"}, "next": {"/console/links?sort=updated"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/links?sort=updated&done=2" {
		t.Fatalf("bulk pause = %v %q %v", resp.StatusCode, resp.Header.Get("Location"), err)
	}
	for code, want := range map[string]links.Status{"BK1": links.StatusPaused, "BK2": links.StatusActive, "BK3": links.StatusPaused} {
		if l, _ := e.links.Get(context.Background(), "acme", code); l.Status != want {
			t.Errorf("%s: %s, want %s", code, l.Status, want)
		}
	}
	if l, _ := e.links.Get(context.Background(), "globex", "GLX09"); l.Status != links.StatusActive {
		t.Error("another tenant's link was paused")
	}
	if _, page := getBody(t, c, srv.URL+"/console/links?done=2"); !strings.Contains(page, "已处理 2 个链接") && !strings.Contains(page, "2 links done") {
		t.Error("the list does not say what was done")
	}
}

// browserSignIn signs in through the form, going on to next.
func browserSignIn(base, next, email, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/console/login?next=" + next),
		chromedp.WaitVisible(`input[name=email]`),
		chromedp.SendKeys(`input[name=email]`, email),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
	}
}

// TestConsoleListFilters: the links list filters by campaign and by tag
// (each typed, or picked from the tenant's names, which the page
// suggests), with the state and the search.
func TestConsoleListFilters(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleViewer)
	for _, l := range []string{
		`{"code":"FL1","title":"窗边","campaign":"国庆","tags":["二楼","靠窗"],"targets":{"web":{"url":"https://e.com/1"}}}`,
		`{"code":"FL2","title":"门口","campaign":"国庆","tags":["一楼"],"targets":{"web":{"url":"https://e.com/2"}}}`,
		`{"code":"FL3","title":"窗边","campaign":"春节","tags":["二楼"],"targets":{"web":{"url":"https://e.com/3"}}}`,
	} {
		if rec := e.json("POST", "/api/v1/links", e.admin, l); rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"GL1","campaign":"globex-only","targets":{"web":{"url":"https://e.com/g"}}}`)
	c := consoleClient(t)
	signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	codes := func(query string) string {
		t.Helper()
		r, page := getBody(t, c, srv.URL+"/console/links?"+query)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d", query, r.StatusCode)
		}
		var out []string
		for _, m := range regexp.MustCompile(`<a href="/console/links/(FL\d)">`).FindAllStringSubmatch(page, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	for query, want := range map[string]string{
		"":                                  "FL1,FL2,FL3",
		"campaign=" + url.QueryEscape("国庆"): "FL1,FL2",
		"tag=" + url.QueryEscape("二楼"):      "FL1,FL3",
		"campaign=" + url.QueryEscape("国庆") + "&tag=" + url.QueryEscape("二楼"): "FL1",
		"tag=" + url.QueryEscape("二楼") + "&q=" + url.QueryEscape("窗"):         "FL1,FL3",
		"campaign=globex-only": "",
	} {
		if got := codes(query); got != want {
			t.Errorf("links?%s lists %q, want %q", query, got, want)
		}
	}
	_, page := getBody(t, c, srv.URL+"/console/links")
	if !strings.Contains(page, `<datalist id="campaign-names"><option value="国庆"><option value="春节"></datalist>`) ||
		!strings.Contains(page, `<option value="靠窗">`) || strings.Contains(page, "globex-only") {
		t.Error("the filters do not suggest the tenant's campaigns and tags (and no other tenant's)")
	}
}
