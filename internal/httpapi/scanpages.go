package httpapi

import (
	"encoding/base64"
	"html/template"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/routing"
)

// option is one way out of a scan page.
type option struct {
	Host string // "wechat", "alipay", ..., "web"
	URL  string
}

// pageFor builds what the page of decision d shows for l.
func (s *Server) pageFor(l *links.Link, d *routing.Decision, t *texts) (*pageData, error) {
	p := &pageData{T: t, Title: title(t, l), AutoLaunch: d.AutoLaunch, InAppHint: d.InAppHint}
	for _, o := range d.Options() {
		p.Options = append(p.Options, option{Host: o.Name(), URL: o.URL(l.Code, d.Variant)})
	}
	switch d.Kind {
	case routing.WeChatPage:
		// The code itself, to long-press: WeChat then applies the
		// ordinary-link QR rule and opens the mini program.
		png, err := s.pageQR(l, qr.PNG)
		if err != nil {
			return nil, err
		}
		p.QRDataURL = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	case routing.DesktopPage:
		svg, err := s.pageQR(l, qr.SVG)
		if err != nil {
			return nil, err
		}
		// The SVG is our own renderer's output for our own short URL.
		p.QRSVG = template.HTML(svg)
	}
	return p, nil
}

func title(t *texts, l *links.Link) string {
	if l.Title != "" {
		return l.Title
	}
	return t.DefaultTitle
}

func (s *Server) pageQR(l *links.Link, f qr.Format) ([]byte, error) {
	o := qr.DefaultOptions()
	o.Format, o.Size, o.Margin = f, 480, 2
	img, _, err := s.deps.QRCache.Get(s.shortURL(l.Code), o)
	return img, err
}
