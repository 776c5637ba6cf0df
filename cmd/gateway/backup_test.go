package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportImportCommands: gateway export writes the links as JSONL,
// gateway import puts them back into an emptied Redis, where a running
// gateway answers their scans as before; a second import changes nothing.
func TestExportImportCommands(t *testing.T) {
	rdb := redisSrv.Client(t) // flush
	env := []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr()}
	base, key := startGateway(t, env)
	for _, body := range []string{
		`{"code":"EXP1","targets":{"web":{"url":"https://example.com/1"}}}`,
		`{"code":"EXP2","status":"paused","fallback_url":"https://example.com/closed","targets":{"web":{"url":"https://example.com/2"}}}`,
	} {
		if status, b := callBody(t, base, key, "POST", "/api/v1/links", body); status != http.StatusCreated {
			t.Fatalf("create = %d %s", status, b)
		}
	}
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"export", "--config", "../../config.yaml"}, env, &out, &errb); err != nil {
		t.Fatalf("export: %v (%s)", err, errb.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 2 || !strings.Contains(errb.String(), "exported 2 links") {
		t.Fatalf("export wrote %d lines: %s / %s", n, out.String(), errb.String())
	}
	file := filepath.Join(t.TempDir(), "links.jsonl")
	if err := os.WriteFile(file, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// With --with-keys the API keys come back too: the merchant's key works
	// on the restored store.
	out.Reset()
	if err := run(ctx, []string{"export", "--with-keys", "--config", "../../config.yaml"}, env, &out, &errb); err != nil ||
		!strings.Contains(errb.String(), "exported 1 API keys") || strings.Contains(out.String(), key) {
		t.Fatalf("export --with-keys: %v, %s (the secret must never be in it)", err, errb.String())
	}
	withKeys := filepath.Join(t.TempDir(), "with-keys.jsonl")
	if err := os.WriteFile(withKeys, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// The store is lost.
	rdb.FlushAll(ctx)
	var res bytes.Buffer
	if err := run(ctx, []string{"import", "--config", "../../config.yaml", file}, env, &res, &errb); err != nil || !strings.Contains(res.String(), "imported 2 records") {
		t.Fatalf("import: %v, %s %s", err, res.String(), errb.String())
	}
	res.Reset()
	if err := run(ctx, []string{"import", "--config", "../../config.yaml", file}, env, &res, &errb); err != nil || !strings.Contains(res.String(), "imported 0 records, 2 unchanged") {
		t.Fatalf("second import: %v, %s", err, res.String())
	}
	for code, want := range map[string]string{"EXP1": "https://example.com/1", "EXP2": "https://example.com/closed"} {
		resp, _ := send(t, base, "", "GET", "/s/"+code, "")
		if loc := resp.Header.Get("Location"); loc != want {
			t.Errorf("%s after the restore: %d %q, want %q", code, resp.StatusCode, loc, want)
		}
	}
	if err := run(ctx, []string{"import", "--config", "../../config.yaml"}, env, &res, &errb); err == nil {
		t.Error("import without a file succeeded")
	}

	rdb.FlushAll(ctx)
	res.Reset()
	if err := run(ctx, []string{"import", "--config", "../../config.yaml", withKeys}, env, &res, &errb); err != nil || !strings.Contains(res.String(), "imported 3 records") {
		t.Fatalf("import --with-keys file: %v, %s %s", err, res.String(), errb.String())
	}
	if status, body := callBody(t, base, key, "GET", "/api/v1/links/EXP1", ""); status != http.StatusOK {
		t.Errorf("the merchant's key after the restore = %d %s", status, body)
	}

	// Redis is gone: a gateway serving from the export answers the scans,
	// read-only, and the merchant's key reads.
	dr, _ := startInstance(t, []string{"SCANGATE_REDIS_ADDRS=127.0.0.1:1"}, false, "--links-from", withKeys)
	drKey := key
	for code, want := range map[string]string{"EXP1": "https://example.com/1", "EXP2": "https://example.com/closed"} {
		resp, _ := send(t, dr, "", "GET", "/s/"+code, "")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != want {
			t.Errorf("%s from the backup: %d %q, want 302 to %q", code, resp.StatusCode, loc, want)
		}
	}
	if status, body := callBody(t, dr, drKey, "POST", "/api/v1/links", `{"code":"NEW1","targets":{"web":{"url":"https://example.com/"}}}`); status != http.StatusServiceUnavailable ||
		!strings.Contains(body, "read_only") {
		t.Errorf("a write while serving from a backup = %d %s, want 503 read_only", status, body)
	}
	if status, _ := callBody(t, dr, drKey, "GET", "/api/v1/links/EXP1", ""); status != http.StatusOK {
		t.Errorf("a read while serving from a backup = %d", status)
	}
}
