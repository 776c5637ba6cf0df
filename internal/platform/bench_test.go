package platform

import "testing"

// benchUAs are typical scans: WeChat on iOS and Android, Alipay, Safari, a
// desktop browser and a crawler.
var benchUAs = []struct {
	name string
	ua   string
}{
	{"wechat_ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.59(0x18003b26) NetType/4G Language/zh_CN"},
	{"wechat_android", "Mozilla/5.0 (Linux; Android 12; DCO-AL00 Build/HUAWEIDCO-AL00; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/134.0.6998.136 Mobile Safari/537.36 XWEB/1340075 MMWEBSDK/20250201 MMWEBID/7690 MicroMessenger/8.0.58.2841(0x28003A3C) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"},
	{"alipay_android", "Mozilla/5.0 (Linux; U; Android 12; zh-CN; KB2000 Build/RKQ1.211119.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.2.43 Mobile Safari/537.36 UCBS/3.22.2.43_220223200704 NebulaSDK/1.8.100112 Nebula AlipayDefined(nt:WIFI,ws:360|0|3.0) AliApp(AP/10.3.0.8000) AlipayClient/10.3.0.8000 Language/zh-Hans useStatusBar/true isConcaveScreen/true Region/CNAriver/1.0.0"},
	{"safari_ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1"},
	{"chrome_windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Safari/537.36"},
	{"baiduspider", "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"},
}

func BenchmarkDetect(b *testing.B) {
	for _, u := range benchUAs {
		b.Run(u.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Detect(u.ua)
			}
		})
	}
}

func BenchmarkDetectLong(b *testing.B) {
	ua := benchUAs[1].ua
	for len(ua) < 4*maxUALength {
		ua += " " + benchUAs[3].ua
	}
	b.ReportAllocs()
	for b.Loop() {
		Detect(ua)
	}
}

const (
	benchQuery = "store=PD01&table=12&note=a b&c&scene=AbC123"
	benchPage  = "pages/menu/index"
)

func BenchmarkWeChatScheme(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		WeChatScheme("wx1234567890abcdef", benchPage, benchQuery, "release")
	}
}

func BenchmarkAlipayDSLink(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		AlipayDSLink("2021001234567890", benchPage, benchQuery)
	}
}

func BenchmarkDouyinScheme(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		DouyinScheme("tt1234567890abcdef", benchPage, benchQuery)
	}
}

func BenchmarkWithScene(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		WithScene("store=PD01&table=12&scene=old", "AbC123")
	}
}
