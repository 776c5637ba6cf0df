package httpapi

import (
	"context"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests load the scan pages in real headless Chromium: they
// prove that the Content-Security-Policy lets exactly our styles and script
// run, that the landing page really tries the best launch, and that the QR
// images decode in a browser.

const chromiumHint = "headless Chromium not found: install it with `apt-get install -y chromium` (make test does)"

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal(chromiumHint)
	return ""
}

// browser is one headless Chromium for a test, collecting console errors
// and navigations the page attempts.
type browser struct {
	ctx         context.Context
	mu          sync.Mutex
	consoleErrs []string
	navigations []string
}

func newBrowser(t *testing.T, userAgent string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	// Cancel waits for Chromium to close, so its profile directory is no
	// longer being written when TempDir's cleanup removes it.
	t.Cleanup(func() { chromedp.Cancel(ctx); cancelTimeout(); cancel(); cancelAlloc() })
	b := &browser{ctx: ctx}
	chromedp.ListenTarget(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError {
				b.consoleErrs = append(b.consoleErrs, "console.error")
			}
		case *runtime.EventExceptionThrown:
			b.consoleErrs = append(b.consoleErrs, ev.ExceptionDetails.Text)
		case *page.EventFrameRequestedNavigation:
			b.navigations = append(b.navigations, ev.URL)
		}
	})
	if err := chromedp.Run(ctx, emulation.SetUserAgentOverride(userAgent)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

func (b *browser) run(t *testing.T, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(b.ctx, actions...); err != nil {
		t.Fatalf("chromedp: %v", err)
	}
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// cspViolations counts the page's securitypolicyviolation events, which a
// small listener installed before navigation records.
const installCSPProbe = `window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`

// cspProbe installs the securitypolicyviolation listener in every page the
// browser loads next.
var cspProbe = chromedp.ActionFunc(func(ctx context.Context) error {
	_, err := page.AddScriptToEvaluateOnNewDocument(installCSPProbe).Do(ctx)
	return err
})

func TestBrowserPages(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(e.srv.Handler())
	t.Cleanup(srv.Close)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"browse1","title":"Table 12",`+multiTargets+`}`)

	t.Run("landing page tries the best launch under the CSP", func(t *testing.T) {
		b := newBrowser(t, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
		var bg, bestHref string
		var violations []string
		b.run(t,
			cspProbe,
			chromedp.Navigate(srv.URL+"/s/browse1"),
			chromedp.WaitVisible("#best"),
			chromedp.Sleep(300*time.Millisecond), // the launch script waits 60 ms before navigating
			chromedp.Evaluate(`getComputedStyle(document.querySelector(".btn.wechat")).backgroundColor`, &bg),
			chromedp.AttributeValue("#best", "href", &bestHref, nil),
			chromedp.Evaluate(`window.__csp || []`, &violations),
		)
		if bg != "rgb(7, 193, 96)" {
			t.Errorf("WeChat button background = %q: the stylesheet did not apply (CSP hash?)", bg)
		}
		if len(violations) != 0 {
			t.Errorf("CSP violations: %v", violations)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		tried := false
		for _, u := range b.navigations {
			if u == bestHref && strings.HasPrefix(u, "weixin://dl/business/") {
				tried = true
			}
		}
		if !tried {
			t.Errorf("the page did not try its best launch %q; navigations %v", bestHref, b.navigations)
		}
		if len(b.consoleErrs) != 0 {
			t.Errorf("script errors: %v", b.consoleErrs)
		}
	})

	t.Run("WeChat page shows a decodable code to long-press", func(t *testing.T) {
		b := newBrowser(t, uaWeChatIOS)
		var width int
		var violations []string
		b.run(t,
			cspProbe,
			chromedp.Navigate(srv.URL+"/s/browse1"),
			chromedp.WaitReady("img.qr"),
			chromedp.Evaluate(`new Promise(done => { const i = document.querySelector("img.qr");
				if (i.complete) done(i.naturalWidth); else { i.onload = () => done(i.naturalWidth); i.onerror = () => done(-1); } })`,
				&width, awaitPromise),
			chromedp.Evaluate(`window.__csp || []`, &violations),
		)
		if width != 480 {
			t.Errorf("QR image naturalWidth = %d, want 480 (a PNG the browser decoded)", width)
		}
		if len(violations) != 0 {
			t.Errorf("CSP violations: %v", violations)
		}
		if len(b.navigations) != 0 {
			t.Errorf("the WeChat page navigated on its own: %v", b.navigations)
		}
	})

	t.Run("desktop page draws the code as SVG", func(t *testing.T) {
		b := newBrowser(t, uaChromeWindows)
		var w float64
		b.run(t,
			chromedp.Navigate(srv.URL+"/s/browse1"),
			chromedp.WaitReady(".qr svg"),
			chromedp.Evaluate(`document.querySelector(".qr svg").getBoundingClientRect().width`, &w),
		)
		if w < 200 {
			t.Errorf("SVG code is %.0f px wide, want about 240", w)
		}
	})
}
