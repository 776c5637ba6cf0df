package routing

import (
	"fmt"
	"strings"
	"testing"
)

const splitLink = `{"targets":{` + alipayT + "," + webT + `},"split":{"variants":[
	{"name":"A","weight":50},
	{"name":"B","weight":50,"targets":{"alipay":{"appid":"2021001234567890","page":"pages/coupon-b/index"}}}]}}`

func TestSplitVariants(t *testing.T) {
	l := link(t, splitLink)
	for _, tc := range []struct {
		name, variant, url string
	}{
		{"A keeps the link's target, tagged", "A", "alipays://platformapi/startapp?appId=2021001234567890&page=pages/menu/index&query=scene%3DTab01%26sg_v%3DA"},
		{"B gets its own target, tagged", "B", "alipays://platformapi/startapp?appId=2021001234567890&page=pages/coupon-b/index&query=scene%3DTab01%26sg_v%3DB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Find a visitor the split puts on the variant.
			for i := 0; i < 100; i++ {
				d := Resolve(l, Request{Client: inAlipay, Time: now, Bucket: Bucket(fmt.Sprintf("v%d", i), code)})
				if d.Variant != tc.variant {
					continue
				}
				if got := d.Redirect.URL(code, d.Variant); got != tc.url {
					t.Errorf("variant %s: URL = %q, want %q", tc.variant, got, tc.url)
				}
				return
			}
			t.Fatalf("no visitor of 100 landed on variant %s", tc.variant)
		})
	}
}

func TestSplitIsEvenAndStable(t *testing.T) {
	l := link(t, splitLink)
	counts := map[string]int{}
	const visitors = 2000
	for i := 0; i < visitors; i++ {
		visitor := fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		first := Resolve(l, Request{Client: inAlipay, Time: now, Bucket: Bucket(visitor, code)})
		again := Resolve(l, Request{Client: browserPhone, Time: now, Bucket: Bucket(visitor, code)})
		if first.Variant != again.Variant {
			t.Fatalf("visitor %s got %s, then %s", visitor, first.Variant, again.Variant)
		}
		counts[first.Variant]++
	}
	for _, v := range []string{"A", "B"} {
		if share := float64(counts[v]) / visitors; share < 0.45 || share > 0.55 {
			t.Errorf("variant %s got %d of %d visitors (%.1f %%), want 50 %% ± 5", v, counts[v], visitors, share*100)
		}
	}
}

func TestSplitWeights(t *testing.T) {
	l := link(t, `{"targets":{`+webT+`,`+alipayT+`},"split":{"variants":[{"name":"A","weight":9},{"name":"B","weight":1},{"name":"off","weight":0}]}}`)
	counts := map[string]int{}
	for i := 0; i < 10000; i++ {
		counts[Resolve(l, Request{Client: inAlipay, Time: now, Bucket: Bucket(fmt.Sprint(i), code)}).Variant]++
	}
	if counts["off"] != 0 || counts["B"] < 800 || counts["B"] > 1200 {
		t.Errorf("weights 9:1:0 gave %v", counts)
	}
}

func TestBucketDependsOnCode(t *testing.T) {
	same := 0
	for i := 0; i < 1000; i++ {
		v := fmt.Sprint(i)
		if Bucket(v, "aaa")%2 == Bucket(v, "bbb")%2 {
			same++
		}
	}
	if same < 400 || same > 600 {
		t.Errorf("buckets of two codes agree for %d of 1000 visitors; want them independent", same)
	}
}

func TestRuleTakesScanOutOfSplit(t *testing.T) {
	l := link(t, `{"targets":{`+alipayT+`},"rules":[{"name":"sh","when":{"city":["Shanghai"]},"targets":{"web":{"url":"https://m.example.com/sh"}}}],
		"split":{"variants":[{"name":"A","weight":1},{"name":"B","weight":1}]}}`)
	d := Resolve(l, Request{Client: inAlipay, Time: now, Geo: shanghai, Bucket: 7})
	if d.Rule != "sh" || d.Variant != "" || strings.Contains(d.Redirect.URL(code, d.Variant), "sg_v") {
		t.Errorf("Shanghai scan: rule %q variant %q URL %s; want rule sh, no variant", d.Rule, d.Variant, d.Redirect.URL(code, d.Variant))
	}
}
