package routing

import (
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// withMade gives l a launch link for each slot of its WeChat and Douyin
// targets, named after its slot, valid for a day.
func withMade(l *links.Link) {
	for _, p := range []string{links.MadeWeChat, links.MadeDouyin} {
		for _, s := range l.Slots(p) {
			kinds := []string{links.KindURLLink}
			if p == links.MadeWeChat {
				kinds = append(kinds, links.KindScheme)
			}
			for _, k := range kinds {
				u := "https://wxaurl.cn/" + s.Rule + "_" + s.Variant
				switch {
				case k == links.KindScheme:
					u = "weixin://dl/business/?t=" + s.Rule + "_" + s.Variant
				case p == links.MadeDouyin:
					u = "https://z.douyin.com/" + s.Rule + "_" + s.Variant
				}
				l.Made = append(l.Made, links.Made{Platform: p, Kind: k, Rule: s.Rule, Variant: s.Variant, URL: u,
					ExpiresAt: now.Add(24 * time.Hour), For: s.Fingerprint(k)})
			}
		}
	}
}

// TestMadeLaunchLinks: a scan is served the launch link made for the way
// it takes into the link: in WeChat and Douyin a redirect to the URL Link,
// in a phone browser the encrypted scheme first; a rule's own target has
// its own, a variant's carries its name; an expired one is not served.
func TestMadeLaunchLinks(t *testing.T) {
	plain := link(t, `{"targets":{`+wechatT+`,`+douyinT+`,`+webT+`}}`)
	withMade(plain)
	ruled := link(t, `{"targets":{`+wechatT+`},"rules":[
		{"name":"sh","when":{"city":["Shanghai"]},"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/sh"}}},
		{"name":"gz","when":{"city":["Guangzhou"]},"targets":{"web":{"url":"https://m.example.com/gz"},"alipay":{"appid":"2021001234567890"}}}]}`)
	withMade(ruled)
	split := link(t, `{"targets":{`+wechatT+`},"split":{"variants":[{"name":"A","weight":1},{"name":"B","weight":1}]}}`)
	withMade(split)
	pasted := link(t, `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/PASTED"}},
		"split":{"variants":[{"name":"A","weight":1,"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/PASTED_A"}}},{"name":"B","weight":1}]},
		"rules":[{"name":"sh","when":{"city":["Shanghai"]},"targets":{"web":{"url":"https://m.example.com/sh"}}}]}`)
	withMade(pasted)
	for _, tc := range []struct {
		name string
		l    *links.Link
		r    Request
		want string // the redirect's URL, or the first option's
	}{
		{"wechat scan", plain, Request{Client: inWeChat, Time: now}, "https://wxaurl.cn/_"},
		{"douyin scan", plain, Request{Client: inDouyin, Time: now}, "https://z.douyin.com/_"},
		{"toutiao keeps its scheme", plain, Request{Client: inToutiao, Time: now}, "sslocal://"},
		{"douyin lite keeps its scheme", plain, Request{Client: platform.Client{App: platform.Douyin, OS: platform.Android, Mobile: true, Lite: true}, Time: now}, "sslocal://"},
		{"phone browser: the scheme", plain, Request{Client: iphone, Time: now}, "weixin://dl/business/?t=_"},
		{"expired: the page", plain, Request{Client: inWeChat, Time: now.Add(25 * time.Hour)}, ""},
		{"rule's own target", ruled, Request{Client: inWeChat, Time: now, Geo: shanghai}, "https://wxaurl.cn/sh_"},
		{"rule without a wechat target", ruled, Request{Client: inWeChat, Time: now, Geo: guangzhou}, "https://wxaurl.cn/_"},
		{"variant", split, Request{Client: inWeChat, Time: now, Bucket: 1}, "https://wxaurl.cn/_B"},
		{"other variant", split, Request{Client: inWeChat, Time: now, Bucket: 0}, "https://wxaurl.cn/_A"},
		{"pasted on the variant's own target", pasted, Request{Client: inWeChat, Time: now, Bucket: 0}, "https://wxaurl.cn/PASTED_A"},
		{"the link's pasted one lacks the variant", pasted, Request{Client: inWeChat, Time: now, Bucket: 1}, "https://wxaurl.cn/_B"},
		{"pasted on the link, no variant", pasted, Request{Client: inWeChat, Time: now, Geo: shanghai}, "https://wxaurl.cn/PASTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Resolve(tc.l, tc.r)
			got := ""
			if d.Kind == Redirect {
				got = d.Redirect.URL(code, d.Variant)
			} else if tc.want != "" && len(d.Options()) > 0 {
				got = d.Options()[0].URL(code, d.Variant)
			}
			if got != tc.want && !(strings.HasSuffix(tc.want, "://") && strings.HasPrefix(got, tc.want)) {
				t.Errorf("Resolve = %s %q, want %q", d.Kind, got, tc.want)
			}
		})
	}
}

// TestMadeKeyDiffers: a page offering a made launch link has another key
// than one offering the plain scheme, and one offering the made URL Link
// (the scheme expired) another than one offering the made scheme, so that
// cached pages never offer an expired link.
func TestMadeKeyDiffers(t *testing.T) {
	l := link(t, `{"targets":{`+wechatT+`,`+douyinT+`,`+alipayT+`,`+webT+`}}`)
	plain := Resolve(l, Request{Client: iphone, Time: now})
	withMade(l)
	scheme := Resolve(l, Request{Client: iphone, Time: now})
	for i := range l.Made {
		if l.Made[i].Kind == links.KindScheme {
			l.Made[i].ExpiresAt = now.Add(time.Hour)
		}
	}
	urlLink := Resolve(l, Request{Client: iphone, Time: now.Add(2 * time.Hour)})
	if plain.Key() == scheme.Key() || scheme.Key() == urlLink.Key() || plain.Key() == urlLink.Key() {
		t.Errorf("keys %v, %v, %v: want three", plain.Key(), scheme.Key(), urlLink.Key())
	}
	if got := urlLink.Options()[0].URL(code, ""); !strings.HasPrefix(got, "https://wxaurl.cn/") {
		t.Errorf("after the scheme expired the first option is %q, want the URL Link", got)
	}
}

func BenchmarkResolveMade(b *testing.B) {
	l := link(b, `{"targets":{`+wechatT+`},"split":{"variants":[{"name":"A","weight":1},{"name":"B","weight":1}]}}`)
	withMade(l)
	r := Request{Client: inWeChat, Time: now, Bucket: 1}
	b.ReportAllocs()
	for b.Loop() {
		Resolve(l, r)
	}
}
