// Package routing decides where a scan goes: Resolve(link, request) is one
// pure decision per scan. It applies the link's state, its rules (by host
// app, OS, place, language and time), its A/B split and its limits, and
// picks the answer for the host app the scan came from: a redirect into the
// mini program, a page with the ways in that work there, the web page, or
// an error page.
//
// It does no I/O of any kind: the caller looks the link up, detects the
// client, looks up the place, checks the limits Resolve asks for, records
// and renders. Host apps are rows of one table (hosts.go); adding one is a
// row there and a builder in internal/platform.
package routing
