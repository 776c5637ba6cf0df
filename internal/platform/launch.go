package platform

import "strings"

// The builders below take a target's identifier, its page path and its
// query, a raw k=v&k=v string already carrying scene= (see WithScene), and
// return the URL that opens the mini program. They do not validate: links
// are validated when they are written (validate.go), not on every scan.
//
// Page paths: WeChat and the ByteDance, QQ and Kuaishou hosts name pages as
// in app.json, without a leading "/" (platforms.md §10 for WeChat), so their
// builders drop one if present. Baidu puts the path after the appKey as a
// URL path, where a leading "/" would make "//". Alipay accepts both forms
// (§10) and gets the path as given.

// WeChatScheme returns WeChat's plaintext URL Scheme (platforms.md §2.3):
//
//	weixin://dl/business/?appid=APPID&path=PAGE&query=ENCODED_QUERY&env_version=release
//
// query is encoded once as a whole with EncodeURIComponent; WeChat decodes
// it once. The query and env_version parameters are left out when empty
// (env_version then defaults to release). Each page must be declared for
// plaintext schemes in the MP console, and WeChat caps the encoded query at
// 512 characters; checking both is the link validator's job.
func WeChatScheme(appID, page, query, envVersion string) string {
	var b strings.Builder
	b.WriteString("weixin://dl/business/?appid=")
	b.WriteString(EncodeURIComponent(appID))
	b.WriteString("&path=")
	b.WriteString(encodePathValue(strings.TrimPrefix(page, "/")))
	if query != "" {
		b.WriteString("&query=")
		b.WriteString(EncodeURIComponent(query))
	}
	if envVersion != "" {
		b.WriteString("&env_version=")
		b.WriteString(EncodeURIComponent(envVersion))
	}
	return b.String()
}

// AlipayScheme returns Alipay's launch scheme (platforms.md §3.1):
//
//	alipays://platformapi/startapp?appId=ID&page=PAGE&query=ENCODED_QUERY
//
// The query must reach Alipay encoded once as a whole, or only its first
// parameter survives. We do what Alipay's official scheme converter does:
// encode each key and value first, then the joined string. For plain
// values this is the same as encoding once, and it keeps "=", "%" and "+"
// inside a value intact, where encoding only once would let Alipay split
// or decode them. The page keeps its "/" bare, as in the official
// example; empty page and query are left out (the home page, no query).
func AlipayScheme(appID, page, query string) string {
	var b strings.Builder
	b.WriteString("alipays://platformapi/startapp?appId=")
	b.WriteString(EncodeURIComponent(appID))
	if page != "" {
		b.WriteString("&page=")
		b.WriteString(encodePathValue(page))
	}
	if query != "" {
		b.WriteString("&query=")
		b.WriteString(EncodeURIComponent(encodePairs(query)))
	}
	return b.String()
}

// AlipayDSLink wraps AlipayScheme in Alipay's HTTPS landing page,
// https://ds.alipay.com/?scheme= followed by the whole scheme encoded once
// more, so the query ends up encoded twice (%253D, %2526), exactly as in the
// official example. It works where a custom scheme cannot be opened
// directly.
func AlipayDSLink(appID, page, query string) string {
	return "https://ds.alipay.com/?scheme=" + EncodeURIComponent(AlipayScheme(appID, page, query))
}

// baiduReservedKeys are query keys the Baidu app uses itself; a smart program
// never receives them (platforms.md §4).
var baiduReservedKeys = [...]string{"_naExtParams", "_baiduboxapp", "callback", "upgrade"}

// BaiduReservedKey returns the first key in query that Baidu reserves for
// itself, so that the link validator can refuse it by name.
func BaiduReservedKey(query string) (key string, found bool) {
	for seg := range strings.SplitSeq(query, "&") {
		k, _, _ := strings.Cut(seg, "=")
		for _, r := range baiduReservedKeys {
			if k == r {
				return k, true
			}
		}
	}
	return "", false
}

// BaiduScheme returns the Baidu app's smart-program scheme (platforms.md §4):
//
//	baiduboxapp://swan/{appKey}/{path}?{query}
//
// with the query in standard form: each key and value encoded, separators
// kept.
func BaiduScheme(appKey, page, query string) string {
	var b strings.Builder
	b.WriteString("baiduboxapp://swan/")
	b.WriteString(EncodeURIComponent(appKey))
	b.WriteByte('/')
	b.WriteString(encodePathValue(strings.TrimPrefix(page, "/")))
	if query != "" {
		b.WriteByte('?')
		b.WriteString(encodePairs(query))
	}
	return b.String()
}

// DouyinScheme returns ByteDance's internal mini-program scheme, opened from
// a page inside Douyin, Toutiao or their Lite editions:
//
//	sslocal://microapp?app_id=tt...&start_page=ENCODED(page?query)&scene=0
//
// [OBSERVED] This form comes from the W3C MiniApp URI explainer and ad-link
// code, not from ByteDance's docs; an API-generated Link is the official
// route (platforms.md §5). scene=0 here is the host's launch scene, not our
// short code, which travels inside start_page. The optional bdp_log
// parameter is left out: its fields are undocumented analytics, and a
// guessed launch_from value would only misattribute our launches.
func DouyinScheme(appID, page, query string) string {
	return "sslocal://microapp?app_id=" + EncodeURIComponent(appID) +
		"&start_page=" + EncodeURIComponent(pageWithQuery(page, query)) +
		"&scene=0"
}

// QQLink returns the HTTPS link that opens a QQ mini program:
//
//	https://m.q.qq.com/a/p/{appid}?s=ENCODED(page?query)
//
// [OBSERVED, UNVERIFIED] Seen in several repositories, not in QQ's official
// docs (platforms.md §6).
func QQLink(appID, page, query string) string {
	return "https://m.q.qq.com/a/p/" + EncodeURIComponent(appID) +
		"?s=" + EncodeURIComponent(pageWithQuery(page, query))
}

// KuaishouScheme returns the scheme that opens a Kuaishou mini program:
//
//	kwai://miniapp?appId=ks...&path=ENCODED(page?query)
//
// [UNVERIFIED] Seen only in third-party e-commerce code (platforms.md §7),
// which also adds KSMP_source attribution codes; their meaning is unknown,
// so they are left out.
func KuaishouScheme(appID, page, query string) string {
	return "kwai://miniapp?appId=" + EncodeURIComponent(appID) +
		"&path=" + EncodeURIComponent(pageWithQuery(page, query))
}

// pageWithQuery joins a page path, without its leading "/", and a query the
// way the hosts' "page?query" parameters expect.
func pageWithQuery(page, query string) string {
	page = strings.TrimPrefix(page, "/")
	if query == "" {
		return page
	}
	return page + "?" + query
}
