package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/apitest"
	"github.com/scangate/scangate/internal/redistest"
)

var redisSrv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{TCP: true}, &redisSrv) }

var keyPattern = regexp.MustCompile(`sgk_[0-9A-Za-z]{43}`)

// startGateway runs `gateway serve` and returns its base URL and the
// bootstrap key it printed; the gateway stops when the test ends, and the
// test fails if it did not stop cleanly.
func startGateway(t *testing.T, env []string) (string, string) {
	t.Helper()
	base, key := startInstance(t, env, true)
	if key == "" {
		t.Fatalf("gateway printed no key")
	}
	return base, key
}

// startInstance starts a gateway and returns its address and, with
// wantKey, the admin key it printed (one sharing a store with another
// prints none).
// testMetricsToken guards /metrics of the gateways the tests start.
const testMetricsToken = "test-metrics-token-0123"

func startInstance(t *testing.T, env []string, wantKey bool, extraArgs ...string) (string, string) {
	t.Helper()
	if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "SCANGATE_STATS_SPOOL_DIR=") }) {
		env = append(env, "SCANGATE_STATS_SPOOL_DIR="+t.TempDir())
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--config", "../../config.yaml"}, extraArgs...), append(env, "SCANGATE_LISTEN=127.0.0.1:0", "SCANGATE_LOG_LEVEL=error", "SCANGATE_METRICS_TOKEN="+testMetricsToken), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run returned %v after shutdown", err)
		}
	})
	// A gateway that never prints what we wait for must fail the test, not
	// hang it.
	timer := time.AfterFunc(30*time.Second, func() { pr.CloseWithError(io.ErrUnexpectedEOF) })
	defer timer.Stop()
	sc := bufio.NewScanner(pr)
	var base, key string
	for sc.Scan() {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "ScanGate is listening on "); ok {
			base = u
			if !wantKey {
				break
			}
		}
		if k := keyPattern.FindString(line); k != "" && key == "" {
			key = k
		}
		if strings.Contains(line, "curl -si") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" {
		t.Fatalf("gateway printed no address")
	}
	return base, key
}

// call sends an API request with the gateway's key and returns the response
// with its body closed; redirects are not followed, so a scan's 302 shows.
func call(t *testing.T, base, key, method, path, body string) *http.Response {
	t.Helper()
	resp, _ := send(t, base, key, method, path, body)
	return resp
}

// callBody is call that returns the status and the body.
func callBody(t *testing.T, base, key, method, path, body string) (int, string) {
	t.Helper()
	resp, data := send(t, base, key, method, path, body)
	return resp.StatusCode, string(data)
}

// send is call that reads the body before closing it.
func send(t *testing.T, base, key, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	apitest.Check(t, req, []byte(body), resp.StatusCode, resp.Header, data)
	return resp, data
}

func TestServeOnRealRedis(t *testing.T) {
	redisSrv.Client(t) // flush
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr()})
	if resp := call(t, base, key, "POST", "/api/v1/links", `{"code":"hello","targets":{"web":{"url":"https://example.com/"}}}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create = %d", resp.StatusCode)
	}
	resp := call(t, base, "", "GET", "/s/hello", "")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://example.com/" {
		t.Fatalf("scan = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Several addresses make a Cluster client: the whole gateway on a real
// three-node Cluster, from bootstrap key to a counted scan.
func TestServeOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + strings.Join(cl.Addrs(), ",")})
	do := func(method, path, body string) *http.Response { return call(t, base, key, method, path, body) }
	if r := do("POST", "/api/v1/links", `{"code":"clus1","campaign":"c","targets":{"web":{"url":"https://example.com/"}}}`); r.StatusCode != http.StatusCreated {
		t.Fatalf("create on Cluster = %d", r.StatusCode)
	}
	if r := do("GET", "/s/clus1", ""); r.StatusCode != http.StatusFound {
		t.Fatalf("scan on Cluster = %d", r.StatusCode)
	}
	for _, path := range []string{"/api/v1/links?campaign=c", "/api/v1/links/clus1/stats", "/api/v1/campaigns/c/stats", "/readyz"} {
		if r := do("GET", path, ""); r.StatusCode != http.StatusOK {
			t.Errorf("GET %s on Cluster = %d", path, r.StatusCode)
		}
	}
}

// With redis.master the addresses are Sentinels.
func TestServeThroughSentinel(t *testing.T) {
	sen := redistest.StartSentinel(t)
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + sen.Addr(), "SCANGATE_REDIS_MASTER=" + sen.MasterName})
	if resp := call(t, base, key, "POST", "/api/v1/links", `{"code":"sent1","targets":{"web":{"url":"https://example.com/"}}}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create through Sentinel = %d", resp.StatusCode)
	}
	// The link is on the master the Sentinel names.
	master := redis.NewClient(&redis.Options{Addr: sen.Master.Addr()})
	defer master.Close()
	if n := master.Exists(context.Background(), "sg:{SENT1}:link").Val(); n != 1 {
		t.Fatalf("link key on the master: %d, want 1", n)
	}
}

// The quick start: no Redis configured at all.
func TestServeEmbeddedQuickStart(t *testing.T) {
	base, key := startGateway(t, nil)
	if resp := call(t, base, key, "GET", "/api/v1/links", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("list on the embedded store = %d", resp.StatusCode)
	}
}

func TestHealthcheckCommand(t *testing.T) {
	redisSrv.Client(t)
	base, _ := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr()})
	_, port, _ := strings.Cut(strings.TrimPrefix(base, "http://"), ":")
	var out strings.Builder
	if err := run(context.Background(), []string{"healthcheck"}, []string{"SCANGATE_LISTEN=:" + port}, &out, io.Discard); err != nil || out.String() != "ok\n" {
		t.Fatalf("healthcheck against a running gateway = %q, %v", out.String(), err)
	}
	free := httptestFreePort(t)
	if err := run(context.Background(), []string{"healthcheck"}, []string{"SCANGATE_LISTEN=:" + free}, io.Discard, io.Discard); err == nil {
		t.Fatal("healthcheck with nothing listening succeeded")
	}
}

func httptestFreePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func TestServeFailsOnTakenPort(t *testing.T) {
	redisSrv.Client(t) // flush, so the gateway bootstraps and prints its key
	base, _ := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr()})
	addr := strings.TrimPrefix(base, "http://localhost")
	err := run(context.Background(), []string{"serve"}, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr(), "SCANGATE_LISTEN=127.0.0.1" + addr, "SCANGATE_LOG_LEVEL=error"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("second gateway on the same port: err = %v, want a listen error", err)
	}
}

func TestAPIKeyCommands(t *testing.T) {
	redisSrv.Client(t)
	env := []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr()}
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"apikey", "create", "--tenant", "acme", "--role", "viewer"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out.String())
	if !keyPattern.MatchString(key) || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("apikey create printed %q, want the key alone on one line", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"apikey", "list"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "acme") || !strings.Contains(out.String(), "viewer") || strings.Contains(out.String(), key) {
		t.Fatalf("apikey list = %q: want tenant and role, never the key", out.String())
	}
	id := strings.Fields(strings.Split(out.String(), "\n")[1])[0]
	if err := run(ctx, []string{"apikey", "revoke", id}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"apikey", "revoke", id}, env, io.Discard, io.Discard); err == nil {
		t.Fatal("revoking twice succeeded")
	}
	for _, args := range [][]string{{"apikey", "create"}, {"apikey", "create", "--tenant", "Bad Name"}, {"apikey", "create", "--tenant", "a", "--role", "root"}, {"apikey", "frob"}, {"frob"}} {
		if err := run(ctx, args, env, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
	if err := run(ctx, []string{"apikey", "list"}, nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "SCANGATE_REDIS_ADDRS") {
		t.Errorf("apikey without Redis: err = %v, want a hint to set SCANGATE_REDIS_ADDRS", err)
	}
}
