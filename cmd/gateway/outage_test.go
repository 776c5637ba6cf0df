package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/redistest"
)

// A phone's User-Agent: a web-only link answers it with a 302.
const phoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

// gatewayProc is a `gateway serve` the test can stop before it ends.
type gatewayProc struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

func (g *gatewayProc) stop() error {
	g.once.Do(func() { g.cancel(); g.err = <-g.done })
	return g.err
}

// launchGateway runs `gateway serve` with env and returns at once; the
// gateway is stopped when the test ends.
func launchGateway(t *testing.T, env []string, stdout io.Writer) *gatewayProc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &gatewayProc{cancel: cancel, done: make(chan error, 1)}
	go func() {
		g.done <- run(ctx, []string{"serve", "--config", "../../config.yaml"},
			append(env, "SCANGATE_LOG_LEVEL=error", "SCANGATE_RATE_LIMIT_SCAN=0"), stdout, io.Discard)
	}()
	t.Cleanup(func() { g.stop() })
	return g
}

// scanner hits a scan URL from several clients until stopped, counting the
// answers by status.
type scanner struct {
	served, other atomic.Int64
	firstOther    atomic.Value // string
	stopc         chan struct{}
	wg            sync.WaitGroup
}

func startScanning(urls []string, clients int) *scanner {
	s := &scanner{stopc: make(chan struct{})}
	for i := range clients {
		s.wg.Go(func() {
			hc := &http.Client{Timeout: 10 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for n := i; ; n++ {
				select {
				case <-s.stopc:
					return
				default:
				}
				req, _ := http.NewRequest("GET", urls[n%len(urls)], nil)
				req.Header.Set("User-Agent", phoneUA)
				resp, err := hc.Do(req)
				if err != nil {
					s.other.Add(1)
					s.firstOther.CompareAndSwap(nil, err.Error())
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusFound {
					s.served.Add(1)
				} else {
					s.other.Add(1)
					s.firstOther.CompareAndSwap(nil, fmt.Sprintf("%s: %d", req.URL.Path, resp.StatusCode))
				}
				// A modest pace: the test is about what the answers are,
				// not how many there can be.
				time.Sleep(time.Millisecond)
			}
		})
	}
	return s
}

func (s *scanner) stop() { close(s.stopc); s.wg.Wait() }

// readiness fetches /readyz.
func readiness(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// waitReady polls /readyz until its status is want. Nothing signals the
// gateway's recovery to the outside but /readyz itself; the deadline only
// turns a gateway that never recovers into a failure.
func waitReady(t *testing.T, base, want string, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, body := readiness(t, base)
		if body["status"] == want {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never said %q within %v: %v", want, timeout, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric reads one sample of the gateway's /metrics.
func metric(t *testing.T, base, name string) int64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+testMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return int64(f)
		}
	}
	return 0
}

// linkScans is the scan count the stats API reports for code.
func linkScans(t *testing.T, base, key, code string) int64 {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/links/"+code+"/stats", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Totals struct{ Scans int64 } `json:"totals"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stats of %s: %d %v", code, resp.StatusCode, err)
	}
	return body.Totals.Scans
}

// waitCounted waits until the stats of codes add up to want.
func waitCounted(t *testing.T, base, key string, codes []string, want int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var got int64
		for _, c := range codes {
			got += linkScans(t, base, key, c)
		}
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("stats count %d scans, the gateway served %d", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// warm creates web-only links and scans each three times, so that the gateway
// holds them in its cache; it returns the scan URLs.
func warm(t *testing.T, base, key string, codes []string) []string {
	t.Helper()
	var urls []string
	for _, c := range codes {
		if resp := call(t, base, key, "POST", "/api/v1/links", `{"code":"`+c+`","targets":{"web":{"url":"https://example.com/`+c+`"}}}`); resp.StatusCode != http.StatusCreated {
			t.Fatalf("create %s: %d", c, resp.StatusCode)
		}
		urls = append(urls, base+"/s/"+c)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for range 3 {
		for _, u := range urls {
			req, _ := http.NewRequest("GET", u, nil)
			req.Header.Set("User-Agent", phoneUA)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("warming %s: %d", u, resp.StatusCode)
			}
		}
	}
	return urls
}

// TestScansAnsweredThroughARedisOutage kills redis-server for 30 s under
// concurrent scans: every scan of a cached link is answered 302, /readyz
// says degraded (200), an unknown code gets the 503 page with Retry-After,
// and once Redis is back every served scan is counted exactly once.
func TestScansAnsweredThroughARedisOutage(t *testing.T) {
	t.Parallel()
	srv, err := redistest.Start(redistest.Options{TCP: true, AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	// A short cache TTL: during the outage every entry is long past it.
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + srv.Addr(), "SCANGATE_CACHE_TTL=200ms", "SCANGATE_RATE_LIMIT_SCAN=0"})
	codes := []string{"outa1", "outa2", "outa3"}
	urls := warm(t, base, key, codes)
	before := int64(3 * len(codes))

	s := startScanning(urls, 4)
	for s.served.Load() < 100 {
		time.Sleep(5 * time.Millisecond)
	}
	srv.Kill()
	outage := time.Now()
	for {
		_, body := readiness(t, base)
		if cache, _ := body["cache"].(map[string]any); cache != nil && cache["state"] == "stale" {
			break
		}
		if time.Since(outage) > 20*time.Second {
			t.Fatalf("/readyz during the outage: %v", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := readiness(t, base); code != http.StatusOK || body["status"] != "degraded" {
		t.Fatalf("/readyz during the outage = %d %v, want 200 degraded", code, body)
	}
	req, _ := http.NewRequest("GET", base+"/s/unknown7", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(page), "请稍后") {
		t.Fatalf("unknown code during the outage = %d, Retry-After %q, page %q; want the 503 page", resp.StatusCode, resp.Header.Get("Retry-After"), page)
	}
	for time.Since(outage) < 30*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitReady(t, base, "ok", 30*time.Second)
	s.stop()
	if n := s.other.Load(); n != 0 {
		t.Fatalf("%d scans of cached links were not answered 302 (first: %v)", n, s.firstOther.Load())
	}
	if metric(t, base, "scangate_stats_events_spooled_total") == 0 {
		t.Error("nothing went to the spool during a 30 s outage")
	}
	waitCounted(t, base, key, codes, before+s.served.Load())
}

// TestGatewayStoppedDuringAnOutage stops a gateway (as SIGTERM does) while
// Redis is down: the scans it served are kept on disk, and the next
// gateway on the same spool writes them once Redis is back.
func TestGatewayStoppedDuringAnOutage(t *testing.T) {
	t.Parallel()
	srv, err := redistest.Start(redistest.Options{TCP: true, AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	spool := t.TempDir()
	env := []string{"SCANGATE_REDIS_ADDRS=" + srv.Addr(), "SCANGATE_STATS_SPOOL_DIR=" + spool, "SCANGATE_HTTP_SHUTDOWN_TIMEOUT=1s"}
	pr, pw := io.Pipe()
	first := launchGateway(t, append(env, "SCANGATE_LISTEN=127.0.0.1:"+httptestFreePort(t)), pw)
	base, key := readWelcome(t, pr)
	codes := []string{"term1", "term2"}
	urls := warm(t, base, key, codes)

	srv.Kill()
	s := startScanning(urls, 2)
	for s.served.Load() < 300 {
		time.Sleep(5 * time.Millisecond)
	}
	s.stop()
	if n := s.other.Load(); n != 0 {
		t.Fatalf("%d scans during the outage were not 302: %v", n, s.firstOther.Load())
	}
	if err := first.stop(); err != nil {
		t.Fatalf("gateway stopped during the outage: %v", err)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	port := httptestFreePort(t)
	launchGateway(t, append(env, "SCANGATE_LISTEN=127.0.0.1:"+port), io.Discard)
	base = "http://127.0.0.1:" + port
	waitReady(t, base, "ok", 30*time.Second)
	waitCounted(t, base, key, codes, int64(3*len(codes))+s.served.Load())
}

// readWelcome reads a starting gateway's output up to its welcome: its URL
// and bootstrap key.
func readWelcome(t *testing.T, r io.Reader) (string, string) {
	t.Helper()
	base, key := "", ""
	buf := make([]byte, 0, 4096)
	deadline := time.Now().Add(30 * time.Second)
	tmp := make([]byte, 512)
	for time.Now().Before(deadline) && !strings.Contains(string(buf), "curl -si") {
		n, err := r.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			break
		}
	}
	go io.Copy(io.Discard, r)
	for _, line := range strings.Split(string(buf), "\n") {
		if u, ok := strings.CutPrefix(line, "ScanGate is listening on "); ok {
			base = u
		}
		if k := keyPattern.FindString(line); k != "" && key == "" {
			key = k
		}
	}
	if base == "" || key == "" {
		t.Fatalf("gateway printed no address or key: %q", buf)
	}
	return base, key
}

// TestGatewayStartsBeforeRedis: a gateway started while Redis is down
// answers /healthz, says "unavailable" on /readyz, and serves as soon as
// Redis answers.
func TestGatewayStartsBeforeRedis(t *testing.T) {
	t.Parallel()
	srv, err := redistest.Start(redistest.Options{TCP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	srv.Kill()
	port := httptestFreePort(t)
	base := "http://127.0.0.1:" + port
	pr, pw := io.Pipe()
	launchGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + srv.Addr(), "SCANGATE_LISTEN=127.0.0.1:" + port,
		"SCANGATE_STATS_SPOOL_DIR=" + t.TempDir()}, pw)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := readiness(t, base)
		if code == http.StatusServiceUnavailable && body["status"] == "unavailable" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz before Redis = %d %v, want 503 unavailable", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz before Redis: %v %v", resp, err)
	}
	if resp, err := http.Get(base + "/s/abc123"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("scan before Redis: %v %v, want 503", resp, err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	_, key := readWelcome(t, pr)
	waitReady(t, base, "ok", 20*time.Second)
	if resp := call(t, base, key, "POST", "/api/v1/links", `{"code":"late1","targets":{"web":{"url":"https://example.com/"}}}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create after Redis came: %d", resp.StatusCode)
	}
}

// TestClusterMasterFailoverUnderScans kills a master of a real 3-master,
// 3-replica Cluster under concurrent scans: no scan of a cached link gets
// anything but a 302, the gateway is back in full service soon after the
// replica's promotion, and every served scan is counted exactly once.
func TestClusterMasterFailoverUnderScans(t *testing.T) {
	t.Parallel()
	cl := redistest.StartClusterWithReplicas(t, 3, 1)
	cl.Client(t) // flush
	failOverUnderScans(t, []string{"SCANGATE_REDIS_ADDRS=" + strings.Join(cl.Addrs(), ",")},
		[]string{"fo1", "fo2", "fo3", "fo4", "fo5", "fo6", "fo7", "fo8"},
		func() time.Time {
			// The master of the first link's slot: its record and its stats.
			waitReplicated(t, cl.MasterFor(t, "sg:{FO1}:link").Addr(), "sg:{FO1}:link")
			cl.KillMaster(t, "sg:{FO1}:link")
			_, promoted := cl.WaitPromoted(t, "sg:{FO1}:link", 30*time.Second)
			return promoted
		})
}

// TestSentinelFailoverUnderScans does the same through Sentinel: the
// master dies, Sentinel promotes its replica, and the gateway follows.
func TestSentinelFailoverUnderScans(t *testing.T) {
	t.Parallel()
	sen := redistest.StartSentinelWithReplicas(t, 1)
	codes := []string{"sf1", "sf2", "sf3"}
	failOverUnderScans(t, []string{"SCANGATE_REDIS_ADDRS=" + sen.Addr(), "SCANGATE_REDIS_MASTER=" + sen.MasterName}, codes,
		func() time.Time {
			for _, c := range codes {
				waitReplicated(t, sen.Master.Addr(), "sg:{"+strings.ToUpper(c)+"}:link")
			}
			sen.KillMaster()
			_, promoted := sen.WaitFailover(t, 30*time.Second)
			return promoted
		})
}

// failOverUnderScans starts a gateway with env, creates and warms codes,
// scans them from four clients while failOver kills a master (it returns
// when the promotion was seen), and checks that every scan was a 302, that
// the gateway was in full service soon after the promotion, and that every
// served scan is counted once.
//
// Replication is asynchronous: a failover loses what the replica had not
// received. That window is Redis's, not what these tests are about, so
// failOver waits until the replicas hold the links before it kills.
func failOverUnderScans(t *testing.T, env, codes []string, failOver func() (promoted time.Time)) {
	t.Helper()
	base, key := startGateway(t, append(env, "SCANGATE_CACHE_TTL=200ms", "SCANGATE_RATE_LIMIT_SCAN=0"))
	urls := warm(t, base, key, codes)
	before := int64(3 * len(codes))
	s := startScanning(urls, 4)
	for s.served.Load() < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	promoted := failOver()
	recovered := waitReady(t, base, "ok", 60*time.Second)
	s.stop()
	if n := s.other.Load(); n != 0 {
		t.Fatalf("%d scans of cached links were not answered 302 during the failover (first: %v)", n, s.firstOther.Load())
	}
	// Loose on purpose: the target is 5 s; a loaded test machine gets 15.
	if d := recovered.Sub(promoted); d > 15*time.Second {
		t.Errorf("full service %v after the promotion", d)
	}
	t.Logf("served %d scans; full service %v after the promotion", s.served.Load(), recovered.Sub(promoted).Round(time.Millisecond))
	waitCounted(t, base, key, codes, before+s.served.Load())
}

// waitReplicated waits until every replica of the master at addr holds key.
func waitReplicated(t *testing.T, addr, key string) {
	t.Helper()
	master := redis.NewClient(&redis.Options{Addr: addr})
	defer master.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := master.Info(context.Background(), "replication").Result()
		var replicas []string
		for _, line := range strings.Split(info, "\n") {
			// slave0:ip=127.0.0.1,port=7001,state=online,offset=...,lag=0
			if strings.HasPrefix(line, "slave") && strings.Contains(line, "ip=") {
				var ip, port string
				for _, kv := range strings.Split(strings.SplitN(line, ":", 2)[1], ",") {
					k, v, _ := strings.Cut(kv, "=")
					switch k {
					case "ip":
						ip = v
					case "port":
						port = v
					}
				}
				replicas = append(replicas, ip+":"+port)
			}
		}
		held := 0
		for _, r := range replicas {
			c := redis.NewClient(&redis.Options{Addr: r})
			// READONLY is for cluster replicas; a plain replica ignores it.
			c.Do(context.Background(), "READONLY")
			if n, _ := c.Exists(context.Background(), key).Result(); n == 1 {
				held++
			}
			c.Close()
		}
		if err == nil && len(replicas) > 0 && held == len(replicas) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas of %s never received %s (%d of %d): %v", addr, key, held, len(replicas), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
