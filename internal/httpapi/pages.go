package httpapi

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/web"
)

// texts are the words on the pages people see after a scan, in Chinese for
// phones that ask for it and English otherwise.
type texts struct {
	Lang               string
	Opening            string
	OpenIn             map[string]string
	InAppHint          string
	LongPress          string
	OpenMiniProgram    string
	ScanWithPhone      string
	PreviewDescription string
	DefaultTitle       string
	Errors             map[int][2]string
}

var (
	textsZH = texts{
		Lang:    "zh-CN",
		Opening: "正在打开小程序…如果没有自动打开，请点击下方按钮。",
		OpenIn: map[string]string{
			"wechat": "在微信中打开", "alipay": "在支付宝中打开", "douyin": "在抖音中打开", "baidu": "在百度中打开",
			"qq": "在 QQ 中打开", "kuaishou": "在快手中打开", "web": "打开网页版",
		},
		InAppHint:          "如果点击后没有反应，请点击右上角「···」，选择「在浏览器中打开」。",
		LongPress:          "长按下方二维码，识别后即可进入小程序。",
		OpenMiniProgram:    "打开小程序",
		ScanWithPhone:      "请用手机微信、支付宝或相机扫描二维码打开。",
		PreviewDescription: "扫码打开小程序",
		DefaultTitle:       "打开小程序",
		Errors: map[int][2]string{
			http.StatusNotFound:           {"二维码无效", "这个二维码没有对应的内容。请确认完整扫描，或向工作人员索取新的二维码。"},
			http.StatusGone:               {"活动已结束", "这个二维码对应的活动已结束或尚未开始。"},
			http.StatusTooManyRequests:    {"请稍后再试", "请求过于频繁，请稍后再扫。"},
			http.StatusServiceUnavailable: {"服务暂时不可用", "请稍后再扫一次。"},
		},
	}
	textsEN = texts{
		Lang:    "en",
		Opening: "Opening the mini program… If nothing happens, tap a button below.",
		OpenIn: map[string]string{
			"wechat": "Open in WeChat", "alipay": "Open in Alipay", "douyin": "Open in Douyin", "baidu": "Open in Baidu",
			"qq": "Open in QQ", "kuaishou": "Open in Kuaishou", "web": "Open the web page",
		},
		InAppHint:          "If nothing happens, tap ··· at the top right and choose Open in Browser.",
		LongPress:          "Press and hold the code below to open the mini program.",
		OpenMiniProgram:    "Open the mini program",
		ScanWithPhone:      "Scan the code with WeChat, Alipay or your phone's camera to open it.",
		PreviewDescription: "Scan to open the mini program",
		DefaultTitle:       "Open the mini program",
		Errors: map[int][2]string{
			http.StatusNotFound:           {"Code not found", "This code does not lead anywhere. Check that you scanned the whole code, or ask the staff for a new one."},
			http.StatusGone:               {"This code is no longer active", "The offer behind this code has ended or has not started yet."},
			http.StatusTooManyRequests:    {"Please try again shortly", "Too many requests; please scan again in a moment."},
			http.StatusServiceUnavailable: {"Temporarily unavailable", "Please scan the code again in a moment."},
		},
	}
)

// pageData is what every page template sees. Everything a tenant wrote
// (Title) is escaped by html/template; URLs are ours, built from targets
// that passed validation on write.
type pageData struct {
	T          *texts
	Title      string
	CSS        template.CSS // web.CSS, ours
	JS         template.JS  // web.LaunchJS, ours
	Options    []option
	AutoLaunch bool
	InAppHint  bool
	QRDataURL  string
	QRURL      string // the gateway's own image address (a sun code)
	OpenTag    *openTag
	OpenTagJS  template.JS // web.OpenTagJS, ours
	JSSDK      string
	QRSVG      template.HTML
	Code       string
	Message    string
}

func parsePages() (*template.Template, error) {
	return template.New("pages").Funcs(template.FuncMap{
		// safeURL marks URLs the gateway built itself (mini program schemes,
		// data: images) so html/template keeps their non-http schemes.
		"safeURL": func(s string) template.URL { return template.URL(s) },
	}).ParseFS(web.Templates, "templates/*.html")
}

func (s *Server) renderPage(c echo.Context, status int, name string, d *pageData) error {
	if d.T == nil {
		d.T = textsFor(c)
	}
	var buf bytes.Buffer
	if err := s.renderTo(&buf, name, d); err != nil {
		return err
	}
	s.pageHeaders(c)
	return c.HTMLBlob(status, buf.Bytes())
}

func (s *Server) renderTo(buf *bytes.Buffer, name string, d *pageData) error {
	d.CSS, d.JS = template.CSS(web.CSS), template.JS(web.LaunchJS)
	return s.pages.ExecuteTemplate(buf, name, d)
}

// errorPage renders a small page for people who scanned a code. Of what a
// tenant controls it shows at most the code, escaped.
func (s *Server) errorPage(c echo.Context, status int, code string) error {
	t := textsFor(c)
	text, ok := t.Errors[status]
	if !ok {
		text = [2]string{http.StatusText(status), "Something went wrong. Please try again in a moment."}
	}
	return s.renderPage(c, status, "error", &pageData{T: t, Title: text[0], Message: text[1], Code: code})
}

func (s *Server) pageHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", s.csp)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
