package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a master redis-server, its replicas, and one Sentinel
// (redis-server --sentinel) watching them, for code that connects through
// Sentinel. With a replica, killing the master makes the Sentinel promote
// the replica within a few seconds.
type Sentinel struct {
	// Master is the master the Sentinel names; WaitFailover makes it the
	// promoted replica.
	Master *Server
	// Replicas replicate Master. WaitFailover removes the promoted one.
	Replicas   []*Server
	MasterName string
	addr       string
	sc         *redis.SentinelClient
}

// StartSentinel starts a master and a Sentinel monitoring it as
// "scangate", waits until the Sentinel reports the master, and stops both
// when the test ends.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	return StartSentinelWithReplicas(tb, 0)
}

// StartSentinelWithReplicas is StartSentinel with replicas replicas of the
// master. It returns once every replica's link is up and the Sentinel
// knows every replica, so the master can be killed at once. The Sentinel
// judges a master down after a second without answers and, being the only
// one, needs no other Sentinel's vote (quorum 1) to fail it over.
func StartSentinelWithReplicas(tb testing.TB, replicas int) *Sentinel {
	tb.Helper()
	s := &Sentinel{Master: startServer(tb, Options{TCP: true}), MasterName: "scangate"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range replicas {
		r := startServer(tb, Options{TCP: true})
		s.Replicas = append(s.Replicas, r)
		if err := replicaOf(ctx, r, s.Master); err != nil {
			tb.Fatalf("redistest: %v", err)
		}
	}
	if err := s.startSentinel(tb); err != nil {
		tb.Fatalf("redistest: start sentinel: %v", err)
	}
	s.sc = redis.NewSentinelClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	tb.Cleanup(func() { s.sc.Close() })
	// A Sentinel picks only a replica whose INFO it read within the last
	// five seconds; by default it reads it every ten.
	if err := s.sc.Process(ctx, redis.NewStatusCmd(ctx, "SENTINEL", "DEBUG", "INFO-PERIOD", 1000)); err != nil {
		tb.Fatalf("redistest: SENTINEL DEBUG: %v", err)
	}
	if err := poll(ctx, "sentinel did not report the master and its replicas", s.watching); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return s
}

// startServer is Start for a test: it fails the test on error and stops
// the server when the test ends.
func startServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// replicaOf makes r replicate master and waits until its link is up.
func replicaOf(ctx context.Context, r, master *Server) error {
	rdb := redis.NewClient(r.Options())
	defer rdb.Close()
	host, port, _ := net.SplitHostPort(master.Addr())
	if err := rdb.SlaveOf(ctx, host, port).Err(); err != nil {
		return fmt.Errorf("REPLICAOF on %s: %w", r.Addr(), err)
	}
	return poll(ctx, fmt.Sprintf("replica %s never linked to %s", r.Addr(), master.Addr()), func(ctx context.Context) error {
		info, err := rdb.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica %s: link to its master is not up", r.Addr())
		}
		return nil
	})
}

func (s *Sentinel) startSentinel(tb testing.TB) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	dir := tb.TempDir()
	host, mport, _ := net.SplitHostPort(s.Master.Addr())
	conf := fmt.Sprintf(`port %d
bind 127.0.0.1
dir %s
sentinel monitor %s %s %s 1
sentinel down-after-milliseconds %[3]s 1000
sentinel failover-timeout %[3]s 5000
`, port, dir, s.MasterName, host, mport)
	// Sentinel rewrites its configuration file, so it must be writable.
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return err
	}
	cmd := exec.Command("redis-server", path, "--sentinel", "--logfile", filepath.Join(dir, "sentinel.log"))
	if err := cmd.Start(); err != nil {
		return err
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return nil
}

// watching checks that the Sentinel names s.Master and sees each of
// s.Replicas up, replicating it.
func (s *Sentinel) watching(ctx context.Context) error {
	addr, err := s.sc.GetMasterAddrByName(ctx, s.MasterName).Result()
	if err != nil {
		return err
	}
	if got := net.JoinHostPort(addr[0], addr[1]); got != s.Master.Addr() {
		return fmt.Errorf("sentinel names master %s, want %s", got, s.Master.Addr())
	}
	known, err := s.sc.Replicas(ctx, s.MasterName).Result()
	if err != nil {
		return err
	}
	healthy := map[string]bool{}
	for _, r := range known {
		healthy[net.JoinHostPort(r["ip"], r["port"])] = r["flags"] == "slave" && r["master-link-status"] == "ok"
	}
	for _, r := range s.Replicas {
		if !healthy[r.Addr()] {
			return fmt.Errorf("sentinel does not see replica %s up", r.Addr())
		}
	}
	return nil
}

// Addr is the Sentinel's host:port.
func (s *Sentinel) Addr() string { return s.addr }
