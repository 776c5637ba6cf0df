package routing

import (
	"testing"
	"time"

	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/platform"
)

func TestRuleConditions(t *testing.T) {
	sh := shanghaiZone(t)
	at := func(day, hhmm string) time.Time { // a date in Dec 2026 (1st is a Tuesday), Shanghai time
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-"+day+" "+hhmm, sh)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		name string
		when string
		req  Request
		want bool
	}{
		{"platform holds", `{"platform":["alipay","wechat"]}`, Request{Client: inAlipay}, true},
		{"platform does not", `{"platform":["wechat"]}`, Request{Client: inAlipay}, false},
		{"os", `{"os":["ios"]}`, Request{Client: iphone}, true},
		{"os not", `{"os":["ios"]}`, Request{Client: browserPhone}, false},
		{"country", `{"country":["cn"]}`, Request{Geo: shanghai}, true},
		{"country unknown", `{"country":["CN"]}`, Request{}, false},
		{"region in English, any case", `{"region":["guangdong"]}`, Request{Geo: guangzhou}, true},
		{"region in Chinese", `{"region":["广东"]}`, Request{Geo: guangzhou}, true},
		{"city in English", `{"city":["Shanghai"]}`, Request{Geo: shanghai}, true},
		{"city elsewhere", `{"city":["Shanghai","北京"]}`, Request{Geo: guangzhou}, false},
		{"country without city data", `{"city":["Shanghai"]}`, Request{Geo: geo.Location{Country: "CN"}}, false},
		{"lang zh holds for zh_CN", `{"lang":["zh"]}`, Request{Lang: "zh_CN"}, true},
		{"lang zh-cn holds for zh-CN", `{"lang":["zh-CN"]}`, Request{Lang: "zh-CN"}, true},
		{"lang zh-TW not for zh-CN", `{"lang":["zh-TW"]}`, Request{Lang: "zh-CN"}, false},
		{"lang zh not for zhx", `{"lang":["zh"]}`, Request{Lang: "zhx"}, false},
		{"lang unknown", `{"lang":["en"]}`, Request{}, false},
		{"window", `{"time":{"from":"06:00","to":"10:30"}}`, Request{Time: at("01", "06:00")}, true},
		{"window end exclusive", `{"time":{"from":"06:00","to":"10:30"}}`, Request{Time: at("01", "10:30")}, false},
		{"window in another zone", `{"time":{"tz":"Europe/Paris","from":"06:00","to":"10:30"}}`, Request{Time: at("01", "08:00")}, false},
		{"days", `{"time":{"days":["tue"]}}`, Request{Time: at("01", "23:59")}, true},
		{"days not", `{"time":{"days":["mon","wed"]}}`, Request{Time: at("01", "12:00")}, false},
		{"across midnight, evening", `{"time":{"days":["fri"],"from":"22:00","to":"02:00"}}`, Request{Time: at("04", "23:00")}, true},
		{"across midnight, after midnight belongs to Friday", `{"time":{"days":["fri"],"from":"22:00","to":"02:00"}}`, Request{Time: at("05", "01:00")}, true},
		{"across midnight, Friday early morning is Thursday's", `{"time":{"days":["fri"],"from":"22:00","to":"02:00"}}`, Request{Time: at("04", "01:00")}, false},
		{"across midnight, the gap", `{"time":{"from":"22:00","to":"02:00"}}`, Request{Time: at("04", "12:00")}, false},
		{"from only", `{"time":{"from":"17:00"}}`, Request{Time: at("04", "23:59")}, true},
		{"after", `{"after":"2026-12-01T00:00:00Z"}`, Request{Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, true},
		{"before is exclusive", `{"before":"2026-12-01T00:00:00Z"}`, Request{Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, false},
		{"all together", `{"platform":["wechat"],"city":["上海"],"lang":["zh"],"time":{"from":"06:00","to":"10:30"}}`,
			Request{Client: platform.Client{App: platform.WeChat, Mobile: true}, Geo: shanghai, Lang: "zh-CN", Time: at("01", "07:00")}, true},
		{"all but one", `{"platform":["wechat"],"city":["上海"],"lang":["en"],"time":{"from":"06:00","to":"10:30"}}`,
			Request{Client: platform.Client{App: platform.WeChat, Mobile: true}, Geo: shanghai, Lang: "zh-CN", Time: at("01", "07:00")}, false},
		{"empty holds", `{}`, Request{}, true},
		{"a far-future before holds today", `{"before":"9999-12-31T23:59:59Z"}`, Request{}, true},
		{"a far-future after does not", `{"after":"2300-01-01T00:00:00Z"}`, Request{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := link(t, `{"targets":{`+webT+`},"rules":[{"name":"r","when":`+tc.when+`,"fallback_url":"https://m.example.com/r"}]}`)
			if tc.req.Time.IsZero() {
				tc.req.Time = now
			}
			if got := matches(&l.Rules[0].When.Match, &tc.req); got != tc.want {
				t.Errorf("when %s on %s = %v, want %v", tc.when, show(tc.req), got, tc.want)
			}
		})
	}
}
