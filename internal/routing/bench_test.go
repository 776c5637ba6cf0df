package routing

import (
	"testing"
	"time"
)

// BenchmarkResolve decides a scan of a link with five rules (the last a
// city rule that matches) and a split, from a phone in Shanghai.
func BenchmarkResolve(b *testing.B) {
	l := link(b, `{"targets":{`+allT+`},"rules":[
		{"name":"breakfast","when":{"time":{"from":"06:00","to":"10:30"}},"targets":{`+webT+`}},
		{"name":"ios-en","when":{"os":["ios"],"lang":["en"]},"targets":{`+webT+`}},
		{"name":"weekend","when":{"time":{"days":["sat","sun"]}},"targets":{`+webT+`}},
		{"name":"abroad","when":{"country":["US","JP","KR"]},"targets":{`+webT+`}},
		{"name":"shanghai","when":{"city":["北京","广州","上海"]},"targets":{"alipay":{"appid":"2021001234567890","page":"pages/sh/index"}}}],
		"split":{"variants":[{"name":"A","weight":50},{"name":"B","weight":50,"targets":{`+webT+`}}]}}`)
	r := Request{Client: inAlipay, Lang: "zh-CN", Geo: shanghai, Time: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), Bucket: 12345}
	if d := Resolve(l, r); d.Rule != "shanghai" {
		b.Fatalf("rule %q, want shanghai", d.Rule)
	}
	b.ReportAllocs()
	for b.Loop() {
		d := Resolve(l, r)
		if d.Kind != Redirect {
			b.Fatal(d.Kind)
		}
	}
}
