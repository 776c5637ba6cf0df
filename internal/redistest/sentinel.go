package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel is a master redis-server watched by one Sentinel
// (redis-server --sentinel), for code that connects through Sentinel.
type Sentinel struct {
	Master     *Server
	MasterName string
	addr       string
	cmd        *exec.Cmd
	dir        string
}

// StartSentinel starts a master and a Sentinel monitoring it as
// "scangate", waits until the Sentinel reports the master, and stops both
// when the test ends.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	master, err := Start(Options{TCP: true})
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(master.Stop)
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	host, mport, _ := net.SplitHostPort(master.Addr())
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor scangate %s %s 1\nsentinel down-after-milliseconds scangate 5000\n",
		port, dir, host, mport)
	// Sentinel rewrites its configuration file, so it must be writable.
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("redis-server", path, "--sentinel", "--logfile", filepath.Join(dir, "sentinel.log"))
	if err := cmd.Start(); err != nil {
		tb.Fatalf("redistest: start sentinel: %v", err)
	}
	s := &Sentinel{Master: master, MasterName: "scangate", addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, dir: dir}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sc := redis.NewSentinelClient(&redis.Options{Addr: s.addr})
	defer sc.Close()
	for {
		addr, err := sc.GetMasterAddrByName(ctx, s.MasterName).Result()
		if err == nil && len(addr) == 2 && addr[1] == mport {
			return s
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("redistest: sentinel did not report the master: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Addr is the Sentinel's host:port.
func (s *Sentinel) Addr() string { return s.addr }
