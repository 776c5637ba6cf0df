package platform

import "strings"

// maxUALength bounds the work Detect does per request. Real in-app
// User-Agents stay well under 600 bytes, and every token Detect looks for
// appears early enough; anything longer is padding or an attack.
const maxUALength = 1024

// Detect classifies a request by its User-Agent header, following the order
// of shared/platforms.md §0: bots and link previewers first, then host apps
// (WeCom before WeChat, and so on), then the operating system.
//
// Matching is case-sensitive, as the platforms' own tokens are, except where
// the facts say otherwise (OpenHarmony, and the generic bot words). Detect
// looks only at the first 1024 bytes and allocates nothing.
func Detect(userAgent string) Client {
	ua := userAgent
	if len(ua) > maxUALength {
		ua = ua[:maxUALength]
	}
	if isBot(ua) {
		return Client{Bot: true}
	}
	var c Client
	c.App, c.MiniProgramWebView = detectApp(ua)
	c.OS, c.Mobile = detectOS(ua)
	c.Lite = c.App == Douyin && strings.Contains(ua, "aweme_lite")
	return c
}

// detectApp returns the host app and whether the page runs inside that
// app's mini-program web-view. The order matters wherever one app's
// User-Agent contains another's token; each case says which collision it
// guards against.
func detectApp(ua string) (App, bool) {
	has := func(token string) bool { return strings.Contains(ua, token) }
	switch {
	// WeCom UAs also carry MicroMessenger/, so WeCom goes first.
	case has("wxwork/"):
		return WeCom, has("miniProgram")
	case isWeChat(ua):
		// Phones mark the web-view with "miniProgram"; the desktop clients
		// with "MiniProgramEnv/".
		return WeChat, has("miniProgram") || has("MiniProgramEnv/")
	// MQQBrowser/ alone is QQ Browser or any X5 web view (old WeChat
	// Android has it), and QQ/ alone is also in Tencent Docs: mobile QQ
	// needs its build token too.
	case has("QQ/") && (has("V1_AND_SQ_") || has("V1_IPH_SQ_")):
		// TIM is QQ's office edition; whether it can open QQ mini programs
		// is unverified, so it is not counted as QQ.
		if has("TIM/") {
			return OtherApp, false
		}
		return QQ, false
	// AliApp( is shared by every Alibaba app, so only the app-specific
	// forms count. The Windows client says "DingTalk(" instead.
	case has("DingTalk/") || has("dingtalk-win/"):
		return DingTalk, false
	case has("AliApp(TB/") || has("taobao_android"):
		return Taobao, false
	case has("AlipayClient/") || has("AliApp(AP/"):
		// Alipay's web-view token is written "MiniProgram" or
		// "miniprogram" depending on the source; both mean the same.
		return Alipay, containsFold(ua, "miniprogram")
	// Covers Baidu Lite too ("lite baiduboxapp/").
	case has("baiduboxapp/"):
		return Baidu, has("swan/")
	case has("aweme_") || has("AppName/aweme") || has("aweme/"):
		return Douyin, has("ToutiaoMicroApp")
	case has("NewsArticle/"):
		return Toutiao, has("ToutiaoMicroApp")
	// TikTok cannot open Douyin mini programs; it is its own app so that
	// stats do not count it as Douyin.
	case has("musical_ly") || has("trill_") || has("AppName/trill"):
		return TikTok, false
	case has("Kwai/") || has("Kwai_Lite/") || has("Kwai_Pro/") || has("ksNebula/"):
		return Kuaishou, false
	case has("Lark/"):
		return Feishu, false
	case has("__weibo__"):
		return Weibo, false
	case has("jdapp;") || has("jdpingou") || has("meituangroup/") || has("TencentDocs/"):
		return OtherApp, false
	}
	return Browser, false
}

// isWeChat matches the WeChat client on every platform. Desktop WeChat on
// macOS may omit MicroMessenger/ and say only MacWechat/.
func isWeChat(ua string) bool {
	return strings.Contains(ua, "MicroMessenger/") ||
		strings.Contains(ua, "WindowsWechat") ||
		strings.Contains(ua, "MacWechat") ||
		(strings.Contains(ua, "MicroMessenger ") && strings.Contains(ua, "Weixin"))
}

// detectOS returns the operating system and whether the device is a phone
// or tablet.
func detectOS(ua string) (OS, bool) {
	has := func(token string) bool { return strings.Contains(ua, token) }
	switch {
	// HarmonyOS NEXT has neither Android nor iPhone in its UA. Huawei's
	// own examples match the token case-insensitively; the device type
	// (Phone, Tablet or PC) opens the parenthesis.
	case containsFold(ua, "openharmony"):
		return HarmonyOS, !has("(PC;")
	case (has("iPhone") || has("iPad") || has("iPod")) && has("like Mac OS X"):
		return IOS, true
	// HarmonyOS 2–4 phones report Android and run Android apps and
	// schemes, so they count as Android.
	case has("Android"):
		return Android, true
	case has("Windows NT"):
		return Windows, false
	// iPadOS web views in apps send a Mac UA that keeps WKWebView's
	// "Mobile/" token, which no Mac browser sends: a tablet.
	case has("Macintosh") && has("Mobile/"):
		return IOS, true
	// iPadOS Safari sends this desktop UA by default; by UA alone it is a
	// Mac, and we accept that: the desktop page offers every way in too.
	case has("Macintosh"):
		return MacOS, false
	case has("Linux"):
		return Linux, has("Mobile")
	}
	return OSOther, has("Mobile")
}

// containsFold reports whether s contains the lowercase ASCII token,
// ignoring ASCII case in s, without allocating. It jumps between the
// occurrences of the token's last byte, in either case, with IndexByte:
// for "openharmony" that is the rare "y", so most UAs cost two fast scans.
func containsFold(s, token string) bool {
	n := len(token)
	if n == 0 {
		return true
	}
	last := token[n-1]
	for _, c := range [2]byte{last, upper(last)} {
		for i := n - 1; i < len(s); i++ {
			j := strings.IndexByte(s[i:], c)
			if j < 0 {
				break
			}
			i += j
			if hasPrefixFold(s[i-n+1:], token) {
				return true
			}
		}
		if upper(last) == last {
			break
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lowercase ASCII token,
// ignoring ASCII case in s.
func hasPrefixFold(s, token string) bool {
	if len(s) < len(token) {
		return false
	}
	for j := 0; j < len(token); j++ {
		if lower(s[j]) != token[j] {
			return false
		}
	}
	return true
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

func upper(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - ('a' - 'A')
	}
	return b
}

func isLetter(b byte) bool {
	b = lower(b)
	return 'a' <= b && b <= 'z'
}

// HostLanguage returns the language a host app states in its User-Agent,
// such as "zh_CN" from WeChat's "Language/zh_CN" or "zh-Hans" from
// Alipay's, or "" when it states none.
func HostLanguage(userAgent string) string {
	ua := userAgent
	if len(ua) > maxUALength {
		ua = ua[:maxUALength]
	}
	const token = "Language/"
	i := strings.Index(ua, token)
	if i < 0 {
		return ""
	}
	v := ua[i+len(token):]
	end := 0
	for end < len(v) && end < 16 && (isLetter(v[end]) || v[end] == '_' || v[end] == '-') {
		end++
	}
	return v[:end]
}
