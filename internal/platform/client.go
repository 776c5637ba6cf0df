package platform

import (
	"slices"
	"strings"
)

// App is the host app whose in-app browser sent a request. The zero value,
// Browser, means no known host app: a plain browser or an unknown web view.
type App uint8

// Host apps, in no particular order; Detect's matching order lives in
// detectApp. New values go at the end so stored numbers keep their meaning.
const (
	Browser App = iota
	WeChat
	WeCom
	QQ
	DingTalk
	Taobao
	Alipay
	Baidu
	Douyin
	Toutiao
	TikTok
	Kuaishou
	Feishu
	Weibo
	OtherApp
)

// appNames are the stable names used as stats keys and in JSON; changing one
// orphans every counter already stored under it.
var appNames = [...]string{
	Browser:  "browser",
	WeChat:   "wechat",
	WeCom:    "wecom",
	QQ:       "qq",
	DingTalk: "dingtalk",
	Taobao:   "taobao",
	Alipay:   "alipay",
	Baidu:    "baidu",
	Douyin:   "douyin",
	Toutiao:  "toutiao",
	TikTok:   "tiktok",
	Kuaishou: "kuaishou",
	Feishu:   "feishu",
	Weibo:    "weibo",
	OtherApp: "other_app",
}

// String returns the app's stable lowercase name, such as "wechat".
func (a App) String() string {
	if int(a) < len(appNames) {
		return appNames[a]
	}
	return "unknown"
}

// ParseApp returns the App named s, the reverse of App.String. Case is
// ignored because the name arrives from mini-program developers in a query
// parameter, where "WeChat" and "wechat" obviously mean the same host.
func ParseApp(s string) (App, bool) {
	i := indexFold(appNames[:], s)
	return App(max(i, 0)), i >= 0
}

// indexFold is the index of s in names, ignoring case, or -1.
func indexFold(names []string, s string) int {
	return slices.IndexFunc(names, func(name string) bool { return strings.EqualFold(s, name) })
}

// AppNames lists every App's name, for messages that say what is accepted.
func AppNames() []string { return append([]string(nil), appNames[:]...) }

// OS is the operating system a request comes from. The zero value, OSOther,
// means unknown.
type OS uint8

// Operating systems. New values go at the end, as for App.
const (
	OSOther OS = iota
	IOS
	Android
	HarmonyOS
	Windows
	MacOS
	Linux
)

var osNames = [...]string{
	OSOther:   "other",
	IOS:       "ios",
	Android:   "android",
	HarmonyOS: "harmonyos",
	Windows:   "windows",
	MacOS:     "macos",
	Linux:     "linux",
}

// String returns the OS's stable lowercase name, such as "ios".
func (o OS) String() string {
	if int(o) < len(osNames) {
		return osNames[o]
	}
	return "unknown"
}

// ParseOS returns the OS named s, the reverse of OS.String, ignoring case.
func ParseOS(s string) (OS, bool) {
	i := indexFold(osNames[:], s)
	return OS(max(i, 0)), i >= 0
}

// OSNames lists every OS's name.
func OSNames() []string { return append([]string(nil), osNames[:]...) }

// Client is what Detect learns from a User-Agent.
type Client struct {
	App App
	OS  OS
	// Mobile is true for phones and tablets, false for desktops.
	Mobile bool
	// Bot is true for crawlers, link previewers and HTTP libraries: their
	// requests must not be counted as scans. When Bot is true the other
	// fields are zero, because a crawler's claimed device says nothing
	// about a person.
	Bot bool
	// MiniProgramWebView is true inside a mini program's <web-view>
	// component, where the page is already in the host's mini program
	// runtime and launching a mini program again makes no sense.
	MiniProgramWebView bool
	// Lite is true for a host app's lite edition (Douyin Lite), which
	// launch links made for the full app may not open.
	Lite bool
}
