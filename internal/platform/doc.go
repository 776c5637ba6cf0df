// Package platform tells which host app and operating system a scan comes
// from, and builds the URLs that open a mini program inside each host app.
//
// It owns two things: the User-Agent classifier (Detect), whose rules and
// their order come from shared/platforms.md §1, and the launch URL builders
// and identifier checks of §2–§7 (WeChat, Alipay, Baidu, Douyin/Toutiao, QQ,
// Kuaishou).
//
// The package is pure: no I/O, no logging, no clock, no mutable state, and it
// imports nothing but the standard library. Detect runs on every scan, so it
// is written to allocate nothing and to look at a bounded prefix of the
// User-Agent; the builders are plain string functions so that golden tests
// can pin their output byte for byte.
package platform
