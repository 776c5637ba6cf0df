package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/geo/geotest"
	"github.com/scangate/scangate/internal/links"
)

// formOf is what a browser would post from the page's form whose action
// is action: each named input's value (a checkbox only when checked),
// each select's selected option, each textarea's text.
func formOf(t *testing.T, page, action string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var form *html.Node
	for n := range doc.Descendants() {
		if a, _ := attr(n, "action"); n.Type == html.ElementNode && n.Data == "form" && a == action {
			form = n
			break
		}
	}
	if form == nil {
		t.Fatalf("no form posting to %s", action)
	}
	out := url.Values{}
	for n := range form.Descendants() {
		name, named := attr(n, "name")
		if n.Type != html.ElementNode || !named {
			continue
		}
		switch n.Data {
		case "input":
			typ, _ := attr(n, "type")
			_, checked := attr(n, "checked")
			if (typ == "checkbox" || typ == "radio") && !checked {
				continue
			}
			v, _ := attr(n, "value")
			out.Add(name, v)
		case "textarea":
			text := ""
			if n.FirstChild != nil {
				text = n.FirstChild.Data
			}
			out.Add(name, strings.TrimPrefix(text, "\n"))
		case "select":
			for o := range n.Descendants() {
				if _, sel := attr(o, "selected"); o.Data == "option" && sel {
					v, _ := attr(o, "value")
					out.Add(name, v)
				}
			}
		}
	}
	return out
}

// routingOf is a link's rules, split, params and visitor limit as JSON.
func routingOf(t *testing.T, e *testEnv, code string) (string, int64) {
	t.Helper()
	l, err := e.links.Get(context.Background(), "acme", code)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{l.Rules, l.Split, l.Params, l.MaxScansPerVisitor})
	return string(b), l.Version
}

// TestConsoleRulesAndSplit: a link's rules by place and time and its A/B
// split are edited in the console's form. Saved unchanged they stay as
// they were; a rule added there routes scans; each refused field is shown
// next to its input, on its row, after removed rows closed up; nothing is
// stored from a refused form.
func TestConsoleRulesAndSplit(t *testing.T) {
	// routedEnv's clock: Tuesday 12:00 in Shanghai.
	withExtras := strings.Replace(menuLink, `"campaign":"spring",`, `"campaign":"spring","params":{"store":"gz01","table":"7"},"max_scans_per_visitor":{"count":3,"per":"day"},`, 1)
	e, post, page := linkFormEnv(t, withExtras)

	// Saved unchanged, the form keeps every rule, the split, the params
	// and the visitor limit.
	before, _ := routingOf(t, e, "menu1")
	if status, body := post(formOf(t, page(), "/console/links/menu1")); status != http.StatusSeeOther {
		t.Fatalf("saving the form unchanged = %d:\n%s", status, body)
	}
	if after, _ := routingOf(t, e, "menu1"); after != before {
		t.Errorf("saved unchanged, the routing changed:\n%s\nto\n%s", before, after)
	}

	// A rule added in the blank row, put first: Tuesdays 11:00–14:00 in
	// Guangzhou, in Alipay.
	f := formOf(t, page(), "/console/links/menu1")
	if f.Get("rules[2].name") != "" || f.Get("rules[1].name") != "shanghai" {
		t.Fatalf("the form's rule rows: %v", f)
	}
	f.Set("rules[2].name", "广州午餐")
	f.Set("rules[2].position", "0")
	f["rules[2].when.platform"] = []string{"alipay"}
	f["rules[2].when.time.days"] = []string{"tue"}
	f.Set("rules[2].when.time.from", "11:00")
	f.Set("rules[2].when.time.to", "14:00")
	f.Set("rules[2].when.city", "广州，佛山")
	f.Set("rules[2].targets.alipay.appid", "2021001234567890")
	f.Set("rules[2].targets.alipay.page", "pages/gz/index")
	if status, body := post(f); status != http.StatusSeeOther {
		t.Fatalf("adding a rule = %d:\n%s", status, body)
	}
	l, _ := e.links.Get(context.Background(), "acme", "menu1")
	if len(l.Rules) != 3 || l.Rules[0].Name != "广州午餐" || strings.Join(l.Rules[0].When.City, "|") != "广州|佛山" {
		t.Fatalf("stored rules: %+v", l.Rules)
	}
	if loc := e.scanFrom("GET", "/s/menu1", uaAlipayAndroid, geotest.Guangzhou.Addr).Header.Get("Location"); !strings.Contains(loc, "page=pages/gz/index") {
		t.Errorf("Alipay in Guangzhou at lunch goes to %q, want the new rule's page", loc)
	}
	if loc := e.scanFrom("GET", "/s/menu1", uaAlipayAndroid, geotest.Shanghai.Addr).Header.Get("Location"); !strings.Contains(loc, "page=pages/shanghai/index") {
		t.Errorf("Alipay in Shanghai at lunch goes to %q, want the shanghai rule's page", loc)
	}

	// The first rule removed and a new one with an unknown time zone: the
	// error is next to the zone's input of the new rule, which is now
	// the third, as the form drawn again shows it.
	before, version := routingOf(t, e, "menu1")
	f = formOf(t, page(), "/console/links/menu1")
	f.Set("rules[0].remove", "1")
	f.Set("rules[3].name", "night")
	f.Set("rules[3].when.time.from", "22:00")
	f.Set("rules[3].when.time.tz", "Mars/Olympus")
	f.Set("rules[3].fallback_url", "https://m.example.com/closed")
	status, body := post(f)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad time zone = %d", status)
	}
	if !strings.Contains(body, `id="err-rules[2].when.time.tz"`) || !strings.Contains(body, `name="rules[2].name" value="night"`) ||
		strings.Contains(body, `value="广州午餐"`) {
		t.Errorf("the form drawn again does not show the zone's error on the new rule, now the third:\n%s", body)
	}
	// A rule with neither targets nor a redirect, and a split of one.
	f = formOf(t, page(), "/console/links/menu1")
	f.Set("rules[3].name", "empty")
	f.Set("split.variants[1].remove", "1")
	status, body = post(f)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "规则需要目标，或填写跳转网址") {
		t.Errorf("a rule without targets = %d; its error is not shown", status)
	}
	f.Set("rules[3].name", "")
	if status, body = post(f); status != http.StatusUnprocessableEntity || !strings.Contains(body, "需要 2 到 10 个版本（现在 1 个）") {
		t.Errorf("a split of one variant = %d; its error is not shown", status)
	}
	if after, v := routingOf(t, e, "menu1"); after != before || v != version {
		t.Errorf("refused forms changed the link (v%d to v%d)", version, v)
	}

	// Ticking nothing in a split's row and typing a weight that is not
	// a number: the error is next to it, and nothing is stored.
	f = formOf(t, page(), "/console/links/menu1")
	f.Set("split.variants[0].weight", "half")
	if status, body = post(f); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-split.variants[0].weight"`) {
		t.Errorf("a weight that is not a number = %d; no error next to it", status)
	}
	// Removing every variant removes the split.
	f = formOf(t, page(), "/console/links/menu1")
	f.Set("split.variants[0].remove", "1")
	f.Set("split.variants[1].remove", "1")
	if status, body := post(f); status != http.StatusSeeOther {
		t.Fatalf("removing the split = %d:\n%s", status, body)
	}
	if l, _ := e.links.Get(context.Background(), "acme", "menu1"); l.Split != nil || len(l.Rules) != 3 {
		t.Errorf("after removing the split: split %+v, %d rules", l.Split, len(l.Rules))
	}
}

// TestConsoleFormTexts: every label, legend and choice of the link form
// has a text in every language.
func TestConsoleFormTexts(t *testing.T) {
	in := links.Input{Rules: []links.Rule{{Name: "r"}}, Split: &links.Split{Variants: []links.Variant{{Name: "A"}, {Name: "B"}}}}
	for lang, texts := range consoleTexts {
		_, missing := layoutForm(texts, links.FormValues(&in), nil, "", false)
		if len(missing) > 0 {
			t.Errorf("%s lacks %q", lang, missing)
		}
	}
}

// TestConsoleLinkFormAtItsBounds: a form with the most rules and variants
// there may be, every input posted as a browser posts it, is well over
// the 64 KiB of other forms and is saved; the page comes compressed to a
// phone that takes gzip.
func TestConsoleLinkFormAtItsBounds(t *testing.T) {
	e := newEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"BIG1","targets":{"web":{"url":"https://e.com/b"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	c := consoleClient(t)
	signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	_, page := getBody(t, c, srv.URL+"/console/links/BIG1")
	f := formOf(t, page, "/console/links/BIG1")
	for i := range links.MaxRules {
		p := links.FormRow(links.FormRules, i)
		for _, n := range links.TargetFormFields() {
			f.Set(p+n, "")
		}
		// A national chain's rule: 50 cities and 50 provinces' names.
		var cities, regions []string
		for k := range links.MaxRuleValues {
			cities = append(cities, fmt.Sprintf("城市%02d", k))
			regions = append(regions, fmt.Sprintf("省份%02d", k))
		}
		f.Set(p+"name", fmt.Sprintf("rule-%02d", i))
		f.Set(p+"when.city", strings.Join(cities, "，"))
		f.Set(p+"when.region", strings.Join(regions, "，"))
		f.Set(p+"fallback_url", fmt.Sprintf("https://m.example.com/closed?rule=%d", i))
	}
	for j := range links.MaxVariants {
		p := links.FormRow(links.FormVariants, j)
		for _, n := range links.TargetFormFields() {
			f.Set(p+n, "")
		}
		f.Set(p+"name", fmt.Sprintf("v%d", j))
		f.Set(p+"weight", "10")
	}
	if n := len(f.Encode()); n < 64<<10 {
		t.Fatalf("the form is %d bytes: not past 64 KiB", n)
	}
	resp, err := c.PostForm(srv.URL+"/console/links/BIG1", f)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := readBodyOf(resp); status != http.StatusSeeOther {
		t.Fatalf("saving %d bytes of form = %d:\n%.500s", len(f.Encode()), status, body)
	}
	if l, _ := e.links.Get(context.Background(), "acme", "BIG1"); len(l.Rules) != links.MaxRules || l.Split == nil || len(l.Split.Variants) != links.MaxVariants {
		t.Errorf("stored: %d rules, split %+v", len(l.Rules), l.Split)
	}

	// Past its bound, a form is refused as too large (not as expired),
	// and nothing is stored.
	huge := formOf(t, page, "/console/links/BIG1")
	huge.Set("title", strings.Repeat("x", maxLinkFormBody))
	resp, err = c.PostForm(srv.URL+"/console/links/BIG1", huge)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := readBodyOf(resp); status != http.StatusRequestEntityTooLarge || !strings.Contains(body, consoleTexts["zh-CN"]["form_too_large"]) {
		t.Errorf("a form past 512 KiB = %d", status)
	}
	_, page = getBody(t, c, srv.URL+"/console/links/BIG1")
	req, _ := http.NewRequest("GET", srv.URL+"/console/links/BIG1", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	for _, ck := range c.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	raw, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	zipped, _ := io.ReadAll(raw.Body)
	raw.Body.Close()
	t.Logf("the link page with %d rules and %d variants: %d bytes, %d gzipped", links.MaxRules, links.MaxVariants, len(page), len(zipped))
	if raw.Header.Get("Content-Encoding") != "gzip" || len(zipped) > len(page)/3 {
		t.Errorf("the link page to a phone taking gzip: %q, %d bytes (%d plain)", raw.Header.Get("Content-Encoding"), len(zipped), len(page))
	}
}

// linkFormEnv is a signed-in console over link, with post (the link's
// form) and page (the link's page).
func linkFormEnv(t *testing.T, link string) (*testEnv, func(url.Values) (int, string), func() string) {
	t.Helper()
	e, _ := routedEnv(t)
	srv := e.consoleServer(auth.RoleAdmin)
	if rec := e.json("POST", "/api/v1/links", e.admin, link); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	c := consoleClient(t)
	signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	post := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := c.PostForm(srv.URL+"/console/links/menu1", form)
		if err != nil {
			t.Fatal(err)
		}
		return readBodyOf(resp)
	}
	page := func() string {
		t.Helper()
		_, p := getBody(t, c, srv.URL+"/console/links/menu1")
		return p
	}
	return e, post, page
}

// TestConsoleFormKeepsWhatWasMeant: the form's edge cases a merchant
// would hit. A window the API took as 6:00–24:00 is drawn as a browser's
// time input can hold it (else the browser posts it empty and a save
// moves the rule's start to midnight); a row ticked for removal stays
// ticked when the form is refused for another reason; an unreadable
// time in a rule's target is shown on the rule's own input; refused
// forms do not grow blank rows; a form saved over someone else's newer
// change is drawn again, not saved.
func TestConsoleFormKeepsWhatWasMeant(t *testing.T) {
	link := strings.Replace(strings.Replace(menuLink, `"from":"06:00","to":"10:30"`, `"from":"6:00","to":"24:00"`, 1), `"name":"shanghai"`, `"name":"shanghai "`, 1)
	e, post, page := linkFormEnv(t, link)
	p := page()
	if !strings.Contains(p, `name="rules[0].when.time.from" value="06:00"`) || !strings.Contains(p, `name="rules[0].when.time.to" value=""`) {
		t.Error("the rule's window is not drawn as HH:MM (06:00, and no end for 24:00)")
	}
	before, _ := routingOf(t, e, "menu1")
	if status, body := post(formOf(t, p, "/console/links/menu1")); status != http.StatusSeeOther {
		t.Fatalf("saved unchanged = %d:\n%.300s", status, body)
	}
	l, _ := e.links.Get(context.Background(), "acme", "menu1")
	if tw := l.Rules[0].When.Time; tw == nil || (tw.From != "6:00" && tw.From != "06:00") || (tw.To != "24:00" && tw.To != "") || l.Rules[1].Name != "shanghai " {
		t.Errorf("saved unchanged, the rules became %+v, %q (before: %s)", l.Rules[0].When.Time, l.Rules[1].Name, before)
	}

	f := formOf(t, page(), "/console/links/menu1")
	f.Set("rules[0].remove", "1")
	f.Set("split.variants[0].weight", "half")
	status, body := post(f)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `name="rules[0].remove" value="1" checked`) {
		t.Fatalf("refused with a rule ticked for removal = %d; the tick is not kept", status)
	}
	if n := strings.Count(body, `<details class="row"`); n != 2+1+2+1 {
		t.Errorf("the refused form has %d rows, want 2 rules + 1 blank, 2 variants + 1 blank", n)
	}
	f = formOf(t, body, "/console/links/menu1")
	f.Set("split.variants[0].weight", "50")
	if status, body := post(f); status != http.StatusSeeOther {
		t.Fatalf("saved after the fix = %d:\n%.300s", status, body)
	}
	if l, _ := e.links.Get(context.Background(), "acme", "menu1"); len(l.Rules) != 1 || l.Rules[0].Name != "shanghai " {
		t.Errorf("the rule ticked for removal: %d rules left", len(l.Rules))
	}

	f = formOf(t, page(), "/console/links/menu1")
	f.Set("rules[0].targets.wechat.url_link_expires_at", "next tuesday")
	if status, body := post(f); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-rules[0].targets.wechat.url_link_expires_at"`) {
		t.Errorf("an unreadable time in a rule's target = %d; the error is not on the rule's input", status)
	}

	// Opened, then someone changes the link through the API, then saved.
	stale := formOf(t, page(), "/console/links/menu1")
	stale.Set("title", "my title")
	if rec := e.do("PATCH", "/api/v1/links/menu1", e.admin, "application/merge-patch+json", `{"title":"their title"}`); rec.Code != http.StatusOK {
		t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
	}
	status, body = post(stale)
	if l, _ := e.links.Get(context.Background(), "acme", "menu1"); status != http.StatusConflict || l.Title != "their title" ||
		!strings.Contains(body, `name="title" value="my title"`) {
		t.Fatalf("a stale save = %d, title now %q; want 409, theirs kept, mine shown", status, l.Title)
	}
	if status, _ := post(formOf(t, body, "/console/links/menu1")); status != http.StatusSeeOther {
		t.Errorf("saved again after the warning = %d", status)
	}
	if l, _ := e.links.Get(context.Background(), "acme", "menu1"); l.Title != "my title" {
		t.Errorf("saved again, the title is %q", l.Title)
	}

	// Save clicked twice: the second post changes nothing, and is no
	// warning about the user's own save.
	twice := formOf(t, page(), "/console/links/menu1")
	twice.Set("title", "twice")
	for i := range 2 {
		if status, _ := post(twice); status != http.StatusSeeOther {
			t.Errorf("post %d of the same form = %d", i+1, status)
		}
	}

	// A form refused as invalid keeps the version its user saw: a change
	// made meanwhile is not overwritten by the next save.
	f = formOf(t, page(), "/console/links/menu1")
	f.Set("rules[0].when.time.from", "25:00")
	status, body = post(f)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `&#34;25:00&#34; 不是时间，应如 06:30`) {
		t.Errorf("a time of 25:00 = %d; its error is not said in Chinese", status)
	}
	if rec := e.do("PATCH", "/api/v1/links/menu1", e.admin, "application/merge-patch+json", `{"title":"meanwhile"}`); rec.Code != http.StatusOK {
		t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
	}
	f = formOf(t, body, "/console/links/menu1")
	f.Set("rules[0].when.time.from", "07:00")
	if status, _ := post(f); status != http.StatusConflict {
		t.Errorf("saved after a change made while the form was refused = %d, want 409", status)
	}
}
