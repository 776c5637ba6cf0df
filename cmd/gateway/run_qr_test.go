package main

import (
	"net/http"
	"testing"
)

// TestServeQR: serve wires the QR cache, the uppercase default and the
// export slots from configuration.
func TestServeQR(t *testing.T) {
	redisSrv.Client(t) // flush, so the gateway bootstraps and prints its key
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr(), "SCANGATE_QR_UPPERCASE=true"})
	call := func(method, path, body string) (*http.Response, []byte) {
		t.Helper()
		return send(t, base, key, method, path, body)
	}
	if resp, _ := call("POST", "/api/v1/links", `{"code":"hello","targets":{"web":{"url":"https://example.com/"}}}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create = %d", resp.StatusCode)
	}
	resp, svg := call("GET", "/api/v1/links/hello/qr?format=svg", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("qr = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The ETag hashes the encoded text: the configured default and an
	// explicit uppercase=true are one image.
	explicit, _ := call("GET", "/api/v1/links/hello/qr?format=svg&uppercase=true", "")
	mixed, _ := call("GET", "/api/v1/links/hello/qr?format=svg&uppercase=false", "")
	if tag := resp.Header.Get("ETag"); tag != explicit.Header.Get("ETag") || tag == mixed.Header.Get("ETag") || len(svg) == 0 {
		t.Errorf("ETags default %q, uppercase=true %q, uppercase=false %q: the default is not upper case",
			tag, explicit.Header.Get("ETag"), mixed.Header.Get("ETag"))
	}
	resp, zip := call("POST", "/api/v1/qr/export", `{"codes":["hello"]}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || len(zip) == 0 {
		t.Errorf("export = %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(zip))
	}
}
