package platform

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// uaRow is one line of testdata/useragents.tsv.
type uaRow struct {
	line    int
	ua      string
	want    Client
	source  string
	comment string
}

// loadUserAgents reads the corpus; the fuzz targets seed from it too.
func loadUserAgents(tb testing.TB) []uaRow {
	tb.Helper()
	f, err := os.Open("testdata/useragents.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []uaRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			tb.Fatalf("useragents.tsv:%d: %d fields, want 8", n, len(f))
		}
		app, ok := ParseApp(f[1])
		if !ok {
			tb.Fatalf("useragents.tsv:%d: unknown app %q", n, f[1])
		}
		osv, ok := parseOS(f[2])
		if !ok {
			tb.Fatalf("useragents.tsv:%d: unknown os %q", n, f[2])
		}
		rows = append(rows, uaRow{
			line: n,
			ua:   f[0],
			want: Client{
				App:                app,
				OS:                 osv,
				Mobile:             parseFlag(tb, n, f[3]),
				Bot:                parseFlag(tb, n, f[4]),
				MiniProgramWebView: parseFlag(tb, n, f[5]),
			},
			source:  f[6],
			comment: f[7],
		})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

func parseOS(s string) (OS, bool) {
	for i, name := range osNames {
		if s == name {
			return OS(i), true
		}
	}
	return OSOther, false
}

func parseFlag(tb testing.TB, line int, s string) bool {
	tb.Helper()
	switch s {
	case "0":
		return false
	case "1":
		return true
	}
	tb.Fatalf("useragents.tsv:%d: flag %q, want 0 or 1", line, s)
	return false
}

func TestDetectCorpus(t *testing.T) {
	rows := loadUserAgents(t)
	if len(rows) < 80 {
		t.Fatalf("corpus has %d rows, want at least 80", len(rows))
	}
	for _, r := range rows {
		got := Detect(r.ua)
		if got.App != r.want.App {
			t.Errorf("line %d: Detect(%q).App = %v, want %v (source: %s)", r.line, r.ua, got.App, r.want.App, r.source)
		}
		if got.OS != r.want.OS {
			t.Errorf("line %d: Detect(%q).OS = %v, want %v (source: %s)", r.line, r.ua, got.OS, r.want.OS, r.source)
		}
		if got.Mobile != r.want.Mobile {
			t.Errorf("line %d: Detect(%q).Mobile = %v, want %v (source: %s)", r.line, r.ua, got.Mobile, r.want.Mobile, r.source)
		}
		if got.Bot != r.want.Bot {
			t.Errorf("line %d: Detect(%q).Bot = %v, want %v (source: %s)", r.line, r.ua, got.Bot, r.want.Bot, r.source)
		}
		if got.MiniProgramWebView != r.want.MiniProgramWebView {
			t.Errorf("line %d: Detect(%q).MiniProgramWebView = %v, want %v (source: %s)", r.line, r.ua, got.MiniProgramWebView, r.want.MiniProgramWebView, r.source)
		}
	}
}

// TestDetectTokens covers rules for which no public corpus string was found:
// each input is a minimal UA carrying the token platforms.md names, so the
// rule is pinned even though the string is not a real one.
func TestDetectTokens(t *testing.T) {
	const android = "Mozilla/5.0 (Linux; Android 13; V2307A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 "
	const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 "
	tests := []struct {
		name string
		ua   string
		want Client
	}{
		{"Mac WeChat without MicroMessenger", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) MacWechat/3.8.7(0x13080712) XWEB/1191 Flue", Client{App: WeChat, OS: MacOS}},
		{"WeChat without version", iphone + "MicroMessenger Weixin", Client{App: WeChat, OS: IOS, Mobile: true}},
		{"MicroMessenger without slash or Weixin", iphone + "MicroMessenger", Client{OS: IOS, Mobile: true}},
		{"WeCom mini-program web-view", iphone + "wxwork/4.1.0 MicroMessenger/7.0.1 miniProgram", Client{App: WeCom, OS: IOS, Mobile: true, MiniProgramWebView: true}},
		{"QQ/ without build token", iphone + "QQ/9.0.85.612", Client{OS: IOS, Mobile: true}},
		{"Taobao Android token", android + "taobao_android_10.1.0", Client{App: Taobao, OS: Android, Mobile: true}},
		{"bare AliApp(", android + "AliApp(XX/1.0)", Client{OS: Android, Mobile: true}},
		{"Alipay iOS", iphone + "AliApp(AP/10.5.0.6000) AlipayClient/10.5.0.6000", Client{App: Alipay, OS: IOS, Mobile: true}},
		{"Alipay mini-program web-view", iphone + "AlipayClient/10.5.0.6000 MiniProgram", Client{App: Alipay, OS: IOS, Mobile: true, MiniProgramWebView: true}},
		{"Alipay lowercase miniprogram", android + "AlipayClient/10.5.0.6000 miniprogram", Client{App: Alipay, OS: Android, Mobile: true, MiniProgramWebView: true}},
		{"Baidu Lite", android + "lite baiduboxapp/5.0.0.10 (Baidu; P1 13)", Client{App: Baidu, OS: Android, Mobile: true}},
		{"Baidu smart-program web-view", android + "swan/2.40.0 swan-baiduboxapp/13.10.0.10 baiduboxapp/13.10.0.10 (Baidu; P1 13)", Client{App: Baidu, OS: Android, Mobile: true, MiniProgramWebView: true}},
		{"Douyin AppName only", android + "JsSdk/1.0 AppName/aweme app_version/30.0.0", Client{App: Douyin, OS: Android, Mobile: true}},
		{"Douyin Lite", android + "aweme_lite_300000 AppName/aweme_lite", Client{App: Douyin, OS: Android, Mobile: true, Lite: true}},
		{"Douyin mini-program web-view", android + "aweme_300000 AppName/aweme ToutiaoMicroApp/3.0.0", Client{App: Douyin, OS: Android, Mobile: true, MiniProgramWebView: true}},
		{"Toutiao web view", android + "NewsArticle/8.1.5.12 JsSdk/2.0", Client{App: Toutiao, OS: Android, Mobile: true}},
		{"Toutiao mini-program web-view", android + "NewsArticle/8.1.5.12 ToutiaoMicroApp/3.0.0", Client{App: Toutiao, OS: Android, Mobile: true, MiniProgramWebView: true}},
		{"TikTok AppName/trill", android + "AppName/trill app_version/30.0.0", Client{App: TikTok, OS: Android, Mobile: true}},
		{"Kuaishou", android + "Kwai/11.5.20.5840 Yoda/2.9.2", Client{App: Kuaishou, OS: Android, Mobile: true}},
		{"Kuaishou Lite", android + "Kwai_Lite/11.5.20", Client{App: Kuaishou, OS: Android, Mobile: true}},
		{"Kuaishou Nebula", android + "ksNebula/11.5.20.5840", Client{App: Kuaishou, OS: Android, Mobile: true}},
		{"JD", iphone + "jdapp;iPhone;12.3.4;", Client{App: OtherApp, OS: IOS, Mobile: true}},
		{"JD Jingxi", iphone + "jdpingou;iPhone;5.0.0;", Client{App: OtherApp, OS: IOS, Mobile: true}},
		{"Meituan", android + "meituangroup/12.10.403", Client{App: OtherApp, OS: Android, Mobile: true}},
		{"OpenHarmony token in any case", "Mozilla/5.0 (Tablet; openharmony 5.1) ArkWeb/5.0.0.0", Client{OS: HarmonyOS, Mobile: true}},
		{"iPhone without like Mac OS X", "QQ/9.0 (iPhone; iOS 17.5; Scale/3.00)", Client{}},
		{"Linux phone with Mobile", "Mozilla/5.0 (Linux; U; Sailfish 3.0; Mobile; rv:45.0) Gecko/45.0 Firefox/45.0 SailfishBrowser/1.0", Client{OS: Linux, Mobile: true}},
		{"empty", "", Client{Bot: true}},
		{"bare curl", "curl", Client{Bot: true}},
		{"WhatsApp in-app browser", iphone + "WhatsApp/2.23.20.0", Client{OS: IOS, Mobile: true}},
		{"WhatsApp without digit", "WhatsApp/x", Client{}},
		{"robots and bots", "Mozilla/5.0 (compatible; SomeBot)", Client{Bot: true}},
		{"bottom is not a bot", "Mozilla/5.0 (Windows NT 10.0) bottom", Client{OS: Windows}},
		{"CUBOT phone", android + "CUBOT_X19", Client{OS: Android, Mobile: true}},
		{"Power Bot model", android + "Power Bot", Client{OS: Android, Mobile: true}},
		{"bot TAB model", android + "bot TAB 10", Client{OS: Android, Mobile: true}},
		{"Bot 52 model", android + "Bot 52", Client{OS: Android, Mobile: true}},
		{"crawler word", "SomeCrawler/1.0", Client{Bot: true}},
		{"crawling is not a word match", "crawling/1.0 (Windows NT 10.0)", Client{OS: Windows}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.ua); got != tt.want {
				t.Errorf("Detect(%q) = %+v, want %+v", tt.ua, got, tt.want)
			}
		})
	}
}

func TestDetectLooksAtFirst1024Bytes(t *testing.T) {
	pad := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) " + strings.Repeat("x", maxUALength)
	tests := []struct {
		name string
		ua   string
		want App
	}{
		{"token inside the bound", "MicroMessenger/8.0.50 " + pad, WeChat},
		{"token past the bound", pad + " MicroMessenger/8.0.50", Browser},
		{"token cut by the bound", pad[:maxUALength-len("MicroMess")] + "MicroMessenger/8.0.50", Browser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.ua).App; got != tt.want {
				t.Errorf("Detect(%d-byte UA).App = %v, want %v", len(tt.ua), got, tt.want)
			}
		})
	}
}

func TestDetectAllocatesNothing(t *testing.T) {
	rows := loadUserAgents(t)
	allocs := testing.AllocsPerRun(10, func() {
		for _, r := range rows {
			Detect(r.ua)
		}
	})
	if allocs != 0 {
		t.Errorf("Detect over the corpus: %v allocs per run, want 0", allocs)
	}
}

func TestAppNames(t *testing.T) {
	for a := Browser; a <= OtherApp; a++ {
		got, ok := ParseApp(a.String())
		if !ok || got != a {
			t.Errorf("ParseApp(%q) = %v, %v, want %v, true", a.String(), got, ok, a)
		}
	}
	tests := []struct {
		in     string
		want   App
		wantOK bool
	}{
		{"WeChat", WeChat, true},
		{"OTHER_APP", OtherApp, true},
		{"tiktok", TikTok, true},
		{"weixin", Browser, false},
		{"", Browser, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseApp(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseApp(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	if got := App(200).String(); got != "unknown" {
		t.Errorf("App(200).String() = %q, want %q", got, "unknown")
	}
}

func TestOSNames(t *testing.T) {
	want := []string{"other", "ios", "android", "harmonyos", "windows", "macos", "linux"}
	for i, name := range want {
		if got := OS(i).String(); got != name {
			t.Errorf("OS(%d).String() = %q, want %q", i, got, name)
		}
	}
	if got := OS(200).String(); got != "unknown" {
		t.Errorf("OS(200).String() = %q, want %q", got, "unknown")
	}
}
