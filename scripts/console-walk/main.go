// console-walk replays issue 14's Done-when as a black box: a new user
// runs a whole campaign in the console of a running gateway, in headless
// Chromium, without the API. It signs in with the gateway's printed setup
// link; uploads 200 table codes from a GBK spreadsheet; downloads the
// campaign's PDF print sheet; watches scans arrive on the live page; reads
// the campaign's numbers by city and host app; retargets one code and
// reverts it. Customers' scans are phones' requests to /s/{code} (through
// a trusted proxy, so that they come from cities of the GeoIP database).
// scripts/console-walk.sh starts the gateway and runs it; it fails on any
// step that does not hold.
//
//	go run ./scripts/console-walk -setup URL
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The customers: which phone, from where (the test GeoIP database's
// networks), how many scans.
var customers = []struct {
	app, city, ua, net string
	scans              int
}{
	{"wechat", "上海", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI Language/zh_CN", "101.80.1.", 30},
	{"alipay", "广州", "Mozilla/5.0 (Linux; Android 14; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 AlipayClient/10.5.0", "101.82.1.", 20},
	{"browser", "北京", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "101.81.1.", 10},
}

const campaign = "国庆"

func main() {
	setup := flag.String("setup", "", "the gateway's printed console setup link")
	flag.Parse()
	u, err := url.Parse(*setup)
	if err != nil || u.Host == "" {
		log.Fatal("need -setup URL (the link the gateway printed)")
	}
	base := u.Scheme + "://" + u.Host
	dir, err := os.MkdirTemp("", "console-walk")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.DisableGPU)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	w := &walk{ctx: ctx, base: base, start: time.Now()}

	// 1. Sign in: the printed link sets the password.
	w.step("sign in with the printed setup link", func() string {
		var heading string
		w.run(emulation.SetUserAgentOverride("Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36").WithAcceptLanguage("zh-CN,zh;q=0.9"),
			chromedp.Navigate(*setup), chromedp.WaitVisible(`input[name=password]`),
			chromedp.SendKeys(`input[name=password]`, "walk-through-password"),
			chromedp.Submit(`input[name=password]`), chromedp.WaitVisible(`input[name=q]`), chromedp.Text(`h1`, &heading))
		return "signed in, on 「" + heading + "」"
	})

	// 2. Upload 200 table codes from a spreadsheet saved as GBK CSV.
	file := filepath.Join(dir, "桌码.csv")
	w.step("upload 200 table codes (GBK CSV)", func() string {
		writeGBK(file)
		var created, failed string
		w.run(chromedp.Navigate(base+"/console/links/upload"), chromedp.WaitVisible(`input[name=file]`),
			chromedp.SetUploadFiles(`input[name=file]`, []string{file}), chromedp.Submit(`input[name=file]`),
			chromedp.WaitVisible(`p.summary`),
			chromedp.AttributeValue(`p.summary`, "data-created", &created, nil),
			chromedp.AttributeValue(`p.summary`, "data-failed", &failed, nil))
		w.check(created == "200" && failed == "0", "created %s, failed %s; want 200 and 0", created, failed)
		var title string
		w.run(chromedp.Navigate(base+"/console/links/T007"), chromedp.WaitVisible(`img.qr`), chromedp.Value(`input[name=title]`, &title))
		w.check(title == "一楼 7 号桌", "T007's title reads %q", title)
		return "200 created; T007 is 「" + title + "」"
	})

	// 3. The campaign's print sheet, downloaded as a browser does.
	w.step("print the campaign's PDF sheet", func() string {
		done := make(chan string, 1)
		chromedp.ListenTarget(ctx, func(ev any) {
			if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
				select {
				case done <- e.GUID:
				default:
				}
			}
		})
		w.run(browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
			chromedp.Navigate(base+"/console/campaigns/"+url.PathEscape(campaign)), chromedp.WaitVisible(`figure.chart svg`),
			chromedp.Click(`form[action$="/print"] button`))
		var guid string
		select {
		case guid = <-done:
		case <-time.After(60 * time.Second):
			var loc, text string
			chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text(`body`, &text))
			w.fail("no download within 60 s; the browser is at %s: %.300s", loc, text)
		}
		pdf, err := os.ReadFile(filepath.Join(dir, guid))
		w.check(err == nil && bytes.HasPrefix(pdf, []byte("%PDF-")), "the download is not a PDF (%v)", err)
		pages := bytes.Count(pdf, []byte("/Type /Page\n")) + bytes.Count(pdf, []byte("/Type /Page ")) + bytes.Count(pdf, []byte("/Type/Page\n"))
		return fmt.Sprintf("%d KiB PDF (%d page objects)", len(pdf)>>10, pages)
	})

	// 4. Scans arrive on the live page.
	total := 0
	for _, c := range customers {
		total += c.scans
	}
	w.step("watch scans arrive live", func() string {
		w.run(chromedp.Navigate(base+"/console/live"), chromedp.WaitVisible(`#live-count`))
		var wg sync.WaitGroup
		for _, c := range customers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range c.scans {
					code := fmt.Sprintf("T%03d", 1+i%10)
					scan(base, code, c.ua, fmt.Sprintf("%s%d", c.net, 10+i))
				}
			}()
		}
		wg.Wait()
		sent := time.Now()
		var count string
		w.run(chromedp.Poll(fmt.Sprintf(`document.getElementById("live-count").textContent === "%d"`, total), nil, chromedp.WithPollingTimeout(30*time.Second)),
			chromedp.Text(`#live-count`, &count))
		var first string
		w.run(chromedp.Text(`#live-list li`, &first))
		return fmt.Sprintf("counter at %s %.1f s after the last scan; latest: %s", count, time.Since(sent).Seconds(), strings.Join(strings.Fields(first), " "))
	})

	// 5. The campaign's numbers by city and host app.
	w.step("read the campaign's numbers by city and host app", func() string {
		var scans, cities, apps string
		page := base + "/console/campaigns/" + url.PathEscape(campaign)
		deadline := time.Now().Add(30 * time.Second)
		for {
			w.run(chromedp.Navigate(page), chromedp.WaitVisible(`[data-total=scans]`), chromedp.Text(`[data-total=scans]`, &scans))
			if scans == strconv.Itoa(total) || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond) // the stats writer's flush
		}
		w.check(scans == strconv.Itoa(total), "the campaign shows %s scans, want %d", scans, total)
		w.run(chromedp.Text(`//h2[text()="按城市"]/following-sibling::table`, &cities, chromedp.BySearch),
			chromedp.Text(`//h2[text()="按宿主 App"]/following-sibling::table`, &apps, chromedp.BySearch))
		appLabel := map[string]string{"wechat": "微信", "alipay": "支付宝", "browser": "浏览器"}
		for _, c := range customers {
			w.check(rowHas(cities, c.city, c.scans), "by city: no %s with %d in %q", c.city, c.scans, cities)
			w.check(rowHas(apps, appLabel[c.app], c.scans), "by host app: no %s with %d in %q", appLabel[c.app], c.scans, apps)
		}
		return fmt.Sprintf("%s scans; by city: %s; by host app: %s", scans, oneLine(cities), oneLine(apps))
	})

	// 6. Retarget one code's mini program page, then revert it. A phone's
	// browser gets the scan page, whose "open in WeChat" button carries
	// the page.
	w.step("retarget T001, then revert it", func() string {
		const phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
		page := func(addr string) string {
			m := regexp.MustCompile(`path=([^&"]+)`).FindStringSubmatch(scan(base, "T001", phone, addr))
			if m == nil {
				w.fail("T001's scan page has no WeChat page")
			}
			return m[1]
		}
		before := page("101.81.1.200")
		w.run(chromedp.Navigate(base+"/console/links/T001"), chromedp.WaitVisible(`input[name="targets.wechat.path"]`),
			chromedp.SetValue(`input[name="targets.wechat.path"]`, "pages/dinner/index"),
			chromedp.Submit(`input[name=title]`), chromedp.WaitVisible(`ol.history li:nth-child(2)`))
		retargeted := page("101.81.1.201")
		w.check(retargeted == "pages/dinner/index", "after the edit T001 opens %q", retargeted)
		w.run(chromedp.Click(`ol.history li:nth-child(2) button`), chromedp.WaitVisible(`ol.history li:nth-child(3)`))
		reverted := page("101.81.1.202")
		w.check(reverted == before && before == "pages/menu/index", "after the revert T001 opens %q, want %q", reverted, before)
		return fmt.Sprintf("WeChat page %s → %s → %s", before, retargeted, reverted)
	})
	fmt.Printf("\nall steps held, %.1f s in all\n", time.Since(w.start).Seconds())
}

type walk struct {
	ctx   context.Context
	base  string
	start time.Time
	name  string
}

func (w *walk) run(actions ...chromedp.Action) {
	if err := chromedp.Run(w.ctx, actions...); err != nil {
		w.fail("%v", err)
	}
}

func (w *walk) step(name string, f func() string) {
	w.name = name
	t := time.Now()
	result := f()
	fmt.Printf("ok   %-50s %5.1f s  %s\n", name, time.Since(t).Seconds(), result)
}

func (w *walk) check(ok bool, format string, args ...any) {
	if !ok {
		w.fail(format, args...)
	}
}

func (w *walk) fail(format string, args ...any) {
	fmt.Printf("FAIL %s: %s\n", w.name, fmt.Sprintf(format, args...))
	os.Exit(1)
}

// writeGBK writes 200 table codes as Excel in China saves a CSV: GBK.
func writeGBK(path string) {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write([]string{"code", "title", "campaign", "targets.wechat.appid", "targets.wechat.path", "targets.web.url"})
	for i := 1; i <= 200; i++ {
		floor := 1 + (i-1)/50
		cw.Write([]string{fmt.Sprintf("T%03d", i), fmt.Sprintf("%s %d 号桌", []string{"一楼", "二楼", "三楼", "四楼"}[floor-1], i), campaign,
			"wx0123456789abcdef", "pages/menu/index", fmt.Sprintf("https://m.example.com/menu?t=%d", i)})
	}
	cw.Flush()
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, gbk, 0o644); err != nil {
		log.Fatal(err)
	}
}

var noFollow = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// scan is a customer's phone scanning code from addr (through the
// gateway's trusted proxy, this machine); it returns where it was sent,
// or the scan page it got.
func scan(base, code, ua, addr string) string {
	req, _ := http.NewRequest("GET", base+"/s/"+code, nil)
	req.Header.Set("User-Agent", ua)
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := noFollow.Do(req)
	if err != nil {
		log.Fatalf("scan %s: %v", code, err)
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" {
		return loc
	}
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// rowHas reports whether a breakdown table's text has a row for label
// with n.
func rowHas(table, label string, n int) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == label && f[1] == strconv.Itoa(n) {
			return true
		}
	}
	return false
}

func oneLine(table string) string {
	var parts []string
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			parts = append(parts, f[0]+" "+f[1])
		}
	}
	return strings.Join(parts, ", ")
}
