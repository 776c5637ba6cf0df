package httpapi

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/platform"
)

// language is the client's preferred language tag: the first entry of
// Accept-Language, else the language the host app states in its
// User-Agent (WeChat's "Language/zh_CN", which its web view does not
// always send as a header), else "".
func language(acceptLanguage, ua string) string {
	first, _, _ := strings.Cut(acceptLanguage, ",")
	first, _, _ = strings.Cut(first, ";")
	if first = strings.TrimSpace(first); first != "" && first != "*" {
		return first
	}
	return platform.HostLanguage(ua)
}

// textsForLang picks the words of the scan pages: Chinese for any form of
// Chinese and when nothing says otherwise (our scanners are in China),
// English for every other language.
func textsForLang(lang string) *texts {
	if lang == "" || len(lang) >= 2 && strings.EqualFold(lang[:2], "zh") {
		return &textsZH
	}
	return &textsEN
}

// textsFor picks the page language of a request.
func textsFor(c echo.Context) *texts {
	r := c.Request()
	return textsForLang(language(r.Header.Get("Accept-Language"), r.UserAgent()))
}
