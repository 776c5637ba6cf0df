// screenshots drives a running gateway's console in headless Chromium and
// saves its main pages at a phone's width (390 px) and a desktop's (1280
// px), for docs/console.md. Start a fresh gateway first (go run
// ./cmd/gateway > /tmp/gw.out) and give it its printed setup link and key:
//
//	go run ./scripts/screenshots -setup "$(grep -o 'http[^ ]*console/setup[^ ]*' /tmp/gw.out)" \
//	  -key "$(grep -o 'sgk_[A-Za-z0-9]*' /tmp/gw.out | head -1)" -out docs/console
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

func main() {
	setup := flag.String("setup", "", "the gateway's printed console setup link")
	key := flag.String("key", "", "the gateway's printed admin API key")
	out := flag.String("out", "docs/console", "directory for the PNGs")
	flag.Parse()
	u, err := url.Parse(*setup)
	if err != nil || *key == "" {
		log.Fatal("need -setup and -key")
	}
	base := u.Scheme + "://" + u.Host
	seed(base, *key)
	os.MkdirAll(*out, 0o755)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.DisableGPU)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run := func(a ...chromedp.Action) {
		if err := chromedp.Run(ctx, a...); err != nil {
			log.Fatal(err)
		}
	}
	run(emulation.SetUserAgentOverride("Mozilla/5.0 Chrome/126.0").WithAcceptLanguage("zh-CN,zh;q=0.9"),
		chromedp.Navigate(*setup), chromedp.WaitVisible(`input[name=password]`),
		chromedp.SendKeys(`input[name=password]`, "screenshots-password"),
		chromedp.Submit(`input[name=password]`), chromedp.WaitVisible(`table.links`))
	pages := []struct{ name, path, ready, js string }{
		{"links", "/console/links", "table.links", ""},
		{"link", "/console/links/T001", "img.qr", ""},
		{"link-rules", "/console/links/MENU", "details#rules[open]", `document.querySelector("details.row").open = true; document.getElementById("rules").scrollIntoView()`},
		{"campaign", "/console/campaigns/" + url.PathEscape("国庆"), "figure.chart svg", ""},
		{"live", "/console/live", "#live-count", ""},
		{"upload", "/console/links/upload", "input[name=file]", ""},
		{"settings", "/console/settings", "table.mini", ""},
	}
	for _, width := range []int64{390, 1280} {
		for _, p := range pages {
			var png []byte
			run(emulation.SetDeviceMetricsOverride(width, 900, 1, width < 600),
				chromedp.Navigate(base+p.path), chromedp.WaitVisible(p.ready))
			if p.js != "" {
				run(chromedp.Evaluate(p.js, nil))
			}
			run(chromedp.Sleep(300*time.Millisecond), chromedp.FullScreenshot(&png, 100))
			name := filepath.Join(*out, fmt.Sprintf("%s-%d.png", p.name, width))
			if err := os.WriteFile(name, png, 0o644); err != nil {
				log.Fatal(err)
			}
			fmt.Println(name)
		}
	}
	// The sign-in page, signed out (a browser of its own: no cookie).
	var png []byte
	actx2, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	for _, width := range []int64{390, 1280} {
		if err := chromedp.Run(actx2, emulation.SetDeviceMetricsOverride(width, 700, 1, width < 600),
			emulation.SetUserAgentOverride("Mozilla/5.0 Chrome/126.0").WithAcceptLanguage("zh-CN"),
			chromedp.Navigate(base+"/console/login"), chromedp.WaitVisible(`input[name=email]`), chromedp.FullScreenshot(&png, 100)); err != nil {
			log.Fatal(err)
		}
		name := filepath.Join(*out, fmt.Sprintf("login-%d.png", width))
		os.WriteFile(name, png, 0o644)
		fmt.Println(name)
	}
}

// seed creates a campaign of table codes and scans some from phones.
func seed(base, key string) {
	var csv strings.Builder
	csv.WriteString("code,title,campaign,targets.web.url\n")
	for i := 1; i <= 24; i++ {
		fmt.Fprintf(&csv, "T%03d,二楼 %d 号桌,国庆,https://m.example.com/menu?t=%d\n", i, i, i)
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/links/bulk", strings.NewReader(csv.String()))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		log.Fatalf("seed: %v %v", resp, err)
	}
	menu := `{"code":"MENU","title":"早餐与午餐菜单","campaign":"国庆","targets":{"wechat":{"appid":"wx0123456789abcdef","path":"pages/menu/index"},"web":{"url":"https://m.example.com/menu"}},
	  "rules":[{"name":"早餐","when":{"time":{"from":"06:00","to":"10:30"}},"targets":{"wechat":{"appid":"wx0123456789abcdef","path":"pages/breakfast/index"}}},
	           {"name":"上海门店","when":{"city":["上海"],"platform":["wechat","alipay"]},"targets":{"web":{"url":"https://m.example.com/sh"}}}],
	  "split":{"variants":[{"name":"A","weight":50},{"name":"B","weight":50,"targets":{"wechat":{"appid":"wx0123456789abcdef","path":"pages/coupon-b/index"}}}]}}`
	req, _ = http.NewRequest("POST", base+"/api/v1/links", strings.NewReader(menu))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		log.Fatalf("seed the menu: %v %v", resp, err)
	}
	uas := []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI Language/zh_CN",
		"Mozilla/5.0 (Linux; Android 14; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 AlipayClient/10.5.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	}
	// From the test GeoIP database's cities, when the gateway has it and
	// trusts this machine as its proxy (see docs/console.md).
	nets := []string{"101.80.1.", "101.82.1.", "101.81.1.", "101.80.1."}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := 1; i <= 24; i++ {
		for j := 0; j < 25-i; j++ {
			r, _ := http.NewRequest("GET", fmt.Sprintf("%s/s/T%03d", base, i), nil)
			r.Header.Set("User-Agent", uas[(i+j)%len(uas)])
			r.Header.Set("X-Forwarded-For", fmt.Sprintf("%s%d", nets[(i+j)%len(nets)], 1+(i*25+j)%250))
			if resp, err := noFollow.Do(r); err == nil {
				resp.Body.Close()
			}
		}
	}
	// The mini program reports opens and some orders (the funnel).
	for i := 0; i < 120; i++ {
		body := fmt.Sprintf(`{"code":"T%03d","type":"open","platform":"wechat"}`, 1+i%12)
		if i%4 == 0 {
			body = fmt.Sprintf(`{"code":"T%03d","type":"conversion","value":%d}`, 1+i%12, 1800+i*10)
		}
		r, _ := http.NewRequest("POST", base+"/api/v1/events", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+key)
		r.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(r); err == nil {
			resp.Body.Close()
		}
	}
	time.Sleep(2 * time.Second) // the stats writer's flush
}
