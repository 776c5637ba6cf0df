package links

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRoutingRejections(t *testing.T) {
	const web = `"targets":{"web":{"url":"https://m.example.com/"}}`
	const wx = `"targets":{"wechat":{"appid":"wx1234567890abcdef","query":"a=` + "%s" + `"}}`
	rule := func(when string) string {
		return `{` + web + `,"rules":[{"name":"r","when":` + when + `,"fallback_url":"https://m.example.com/r"}]}`
	}
	many := make([]string, MaxRules+1)
	for i := range many {
		many[i] = `{"name":"r` + strings.Repeat("x", i) + `","when":{},"fallback_url":"https://m.example.com/"}`
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"too many rules", `{` + web + `,"rules":[` + strings.Join(many, ",") + `]}`, "rules"},
		{"rule without name", `{` + web + `,"rules":[{"when":{},"fallback_url":"https://m.example.com/"}]}`, "rules[0].name"},
		{"duplicate rule names", `{` + web + `,"rules":[{"name":"a","when":{},"fallback_url":"https://m.example.com/"},{"name":"a","when":{},"fallback_url":"https://m.example.com/"}]}`, "rules[1].name"},
		{"rule name with a colon", `{` + web + `,"rules":[{"name":"a:b","when":{},"fallback_url":"https://m.example.com/"}]}`, "rules[0].name"},
		{"rule with nothing to do", `{` + web + `,"rules":[{"name":"a","when":{}}]}`, "rules[0].targets"},
		{"rule target checked", `{` + web + `,"rules":[{"name":"a","when":{},"targets":{"alipay":{"appid":"1"}}}]}`, "rules[0].targets.alipay.appid"},
		{"rule fallback checked", `{` + web + `,"rules":[{"name":"a","when":{},"fallback_url":"javascript:alert(1)"}]}`, "rules[0].fallback_url"},
		{"unknown platform", rule(`{"platform":["wexin"]}`), "rules[0].when.platform"},
		{"unknown os", rule(`{"os":["symbian"]}`), "rules[0].when.os"},
		{"country not ISO", rule(`{"country":["China"]}`), "rules[0].when.country"},
		{"empty city", rule(`{"city":[""]}`), "rules[0].when.city"},
		{"lang not a tag", rule(`{"lang":["chinese!"]}`), "rules[0].when.lang"},
		{"bad zone", rule(`{"time":{"tz":"Mars/Base"}}`), "rules[0].when.time.tz"},
		// Other spellings LoadLocation accepts for a real zone: each would
		// be one more zone kept in memory.
		{"zone with a doubled slash", rule(`{"time":{"tz":"Asia//Shanghai"}}`), "rules[0].when.time.tz"},
		{"zone with a dot segment", rule(`{"time":{"tz":"Asia/./Shanghai"}}`), "rules[0].when.time.tz"},
		{"zone with a directory prefix", rule(`{"time":{"tz":"./Asia/Shanghai"}}`), "rules[0].when.time.tz"},
		{"bad day", rule(`{"time":{"days":["monday"]}}`), "rules[0].when.time.days"},
		{"bad from", rule(`{"time":{"from":"6am"}}`), "rules[0].when.time.from"},
		{"bad to", rule(`{"time":{"to":"25:00"}}`), "rules[0].when.time.to"},
		{"rule name over 64 bytes", `{` + web + `,"rules":[{"name":"` + strings.Repeat("早", 22) + `","when":{},"fallback_url":"https://m.example.com/"}]}`, "rules[0].name"},
		{"rule named other", `{` + web + `,"rules":[{"name":"Other","when":{},"fallback_url":"https://m.example.com/"}]}`, "rules[0].name"},
		{"variant named other", `{` + web + `,"split":{"variants":[{"name":"other","weight":1},{"name":"B","weight":1}]}}`, "split.variants[0].name"},
		{"from 24:00", rule(`{"time":{"from":"24:00"}}`), "rules[0].when.time.from"},
		{"empty window", rule(`{"time":{"from":"06:00","to":"06:00"}}`), "rules[0].when.time.to"},
		{"after not before before", rule(`{"after":"2027-01-02T00:00:00Z","before":"2027-01-01T00:00:00Z"}`), "rules[0].when.before"},
		{"one variant", `{` + web + `,"split":{"variants":[{"name":"A","weight":1}]}}`, "split.variants"},
		{"eleven variants", `{` + web + `,"split":{"variants":[` + strings.Repeat(`{"name":"A","weight":1},`, 10) + `{"name":"B","weight":1}]}}`, "split.variants"},
		{"variant name with space", `{` + web + `,"split":{"variants":[{"name":"A B","weight":1},{"name":"C","weight":1}]}}`, "split.variants[0].name"},
		{"duplicate variants", `{` + web + `,"split":{"variants":[{"name":"A","weight":1},{"name":"A","weight":1}]}}`, "split.variants[1].name"},
		{"negative weight", `{` + web + `,"split":{"variants":[{"name":"A","weight":-1},{"name":"B","weight":1}]}}`, "split.variants[0].weight"},
		{"all weights zero", `{` + web + `,"split":{"variants":[{"name":"A","weight":0},{"name":"B","weight":0}]}}`, "split.variants"},
		{"variant target checked", `{` + web + `,"split":{"variants":[{"name":"A","weight":1,"targets":{"web":{"url":"ftp://x"}}},{"name":"B","weight":1}]}}`, "split.variants[0].targets.web.url"},
		{"sg_v reserved", `{"targets":{"alipay":{"appid":"2021001234567890","query":"sg_v=A"}}}`, "targets.alipay.query"},
		{"per-visitor count", `{` + web + `,"max_scans_per_visitor":{"count":0,"per":"day"}}`, "max_scans_per_visitor.count"},
		{"per-visitor period", `{` + web + `,"max_scans_per_visitor":{"count":1,"per":"week"}}`, "max_scans_per_visitor.per"},
		// 512 encoded characters with the scene: fits alone, not with sg_v.
		{"wechat query too long with the variant", `{` + strings.Replace(wx, "%s", strings.Repeat("a", 512-len("a%3D%26scene%3D")-8), 1) +
			`,"split":{"variants":[{"name":"A","weight":1},{"name":"B","weight":1}]}}`, "targets.wechat.query"},
		{"variant wechat query too long", `{` + web + `,"split":{"variants":[{"name":"A","weight":1,"targets":{"wechat":{"appid":"wx1234567890abcdef","query":"a=` + strings.Repeat("a", 512-len("a%3D%26scene%3D")-8) + `"}}},{"name":"B","weight":1}]}}`, "split.variants[0].targets.wechat.query"},
		{"rule wechat query too long", `{` + web + `,"rules":[{"name":"r","when":{},"targets":{"wechat":{"appid":"wx1234567890abcdef","query":"a=` + strings.Repeat("a", 600) + `"}}}]}`, "rules[0].targets.wechat.query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := DecodeInput([]byte(tc.body))
			if err == nil {
				_, err = in.Preview("acme", time.Now())
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Name != tc.field {
				t.Fatalf("%s: err = %v, want a FieldError on %s", tc.body, err, tc.field)
			}
		})
	}
}

func TestWeChatQueryFitsWithoutVariant(t *testing.T) {
	q := strings.Repeat("a", 512-len("a%3D%26scene%3D")-8)
	in, err := DecodeInput([]byte(`{"targets":{"wechat":{"appid":"wx1234567890abcdef","query":"a=` + q + `"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Preview("acme", time.Now()); err != nil {
		t.Fatalf("a query of exactly 512 encoded characters with the scene: %v", err)
	}
}

func TestRulesSurviveStorage(t *testing.T) {
	s := newTestStore(t, Options{})
	in, err := DecodeInput([]byte(`{"code":"rules1","targets":{"web":{"url":"https://m.example.com/"}},
		"rules":[{"name":"breakfast","when":{"platform":["wechat"],"city":["上海"],"time":{"days":["mon"],"from":"06:00","to":"10:30"}},"fallback_url":"https://m.example.com/b"}],
		"split":{"variants":[{"name":"A","weight":1},{"name":"B","weight":2}]},"max_scans_per_visitor":{"count":1,"per":"day"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(t.Context(), "acme", in, Actor{By: "key:test"}); err != nil {
		t.Fatal(err)
	}
	l, err := s.Lookup(t.Context(), "rules1")
	if err != nil {
		t.Fatal(err)
	}
	m := l.Rules[0].When.Match
	if m.Zone == nil || m.Zone.String() != DefaultRuleZone || m.From != 360 || m.To != 630 || m.Days != 1<<time.Monday || m.Apps == 0 || len(m.Cities) != 1 {
		t.Errorf("rule read back from Redis compiled to %+v", m)
	}
	if l.Split == nil || len(l.Split.Variants) != 2 || l.MaxScansPerVisitor == nil || l.MaxScansPerVisitor.Count != 1 {
		t.Errorf("split or visitor limit lost: %+v %+v", l.Split, l.MaxScansPerVisitor)
	}
}

func TestCheckLimitsPerVisitorAndTotal(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := t.Context()
	mk := func(body string) *Link {
		in, err := DecodeInput([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		l, err := s.Create(ctx, "acme", in, Actor{By: "key:test"})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := mk(`{"code":"coupon2","max_scans":3,"max_scans_per_visitor":{"count":2,"per":"day"},"targets":{"web":{"url":"https://m.example.com/"}}}`)
	at := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
	check := func(visitor string, peek bool) Over {
		t.Helper()
		over, err := s.CheckLimits(ctx, l, LimitCheck{Visitor: visitor, Time: at, Peek: peek})
		if err != nil {
			t.Fatal(err)
		}
		return over
	}
	for i, want := range []Over{Within, Within, OverVisitor} {
		if got := check("aaaaaaaaaaaaaaaa", false); got != want {
			t.Fatalf("visitor a scan %d: %v, want %v", i+1, got, want)
		}
	}
	for range 3 {
		if got := check("bbbbbbbbbbbbbbbb", true); got != Within {
			t.Fatalf("peek for b = %v, want within (and uncounted)", got)
		}
	}
	if got := check("bbbbbbbbbbbbbbbb", false); got != Within {
		t.Fatalf("visitor b scan 1 = %v", got)
	}
	if got := check("cccccccccccccccc", false); got != OverScans {
		t.Fatalf("a 4th scan of a link with max_scans 3 = %v, want over max_scans", got)
	}
	if got := check("", false); got != OverScans {
		t.Fatalf("an unidentified visitor is still held to max_scans: %v", got)
	}

	hourly := mk(`{"code":"coupon3","max_scans_per_visitor":{"count":1,"per":"hour"},"targets":{"web":{"url":"https://m.example.com/"}}}`)
	for i, tc := range []struct {
		at   time.Time
		want Over
	}{
		{at, Within}, {at.Add(59 * time.Minute), OverVisitor}, {at.Add(time.Hour), Within},
	} {
		if got, err := s.CheckLimits(ctx, hourly, LimitCheck{Visitor: "aaaaaaaaaaaaaaaa", Time: tc.at}); err != nil || got != tc.want {
			t.Errorf("hourly scan %d at %s = %v %v, want %v", i+1, tc.at.Format("15:04"), got, err, tc.want)
		}
	}
}
