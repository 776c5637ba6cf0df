// Package redistest starts real redis-server processes for tests: one per
// test binary, on a unix socket in a temporary directory, with persistence
// off unless a test asks for an append-only file; and Redis Clusters and
// Sentinel setups with replicas, whose masters a test can kill to see a
// replica take over. It is imported only by _test.go files; the in-process
// store of the quick start is never a substitute for it.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"flag"
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

// InstallHint is printed when no redis-server can be found.
const InstallHint = "redis-server not found on PATH: install it with `apt-get update && apt-get install -y redis-server` (or run `make test`, which does)"

// Options changes how the server is started.
type Options struct {
	// AppendOnly turns on the AOF with fsync on every write, so a killed and
	// restarted server comes back with every acknowledged write.
	AppendOnly bool
	// TCP listens on a free loopback port as well as the unix socket, for
	// code that needs a host:port address.
	TCP bool
	// cluster starts the server as a Redis Cluster node (see StartCluster).
	cluster bool
}

// Server is one redis-server process owned by a test binary.
type Server struct {
	opts   Options
	dir    string
	socket string
	port   int
	bus    int // a cluster node's bus port
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start launches redis-server and waits until it answers PING.
func Start(opts Options) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New(InstallHint)
	}
	dir, err := os.MkdirTemp("", "scangate-redis-")
	if err != nil {
		return nil, fmt.Errorf("redistest: temp dir: %w", err)
	}
	s := &Server{opts: opts, dir: dir, socket: filepath.Join(dir, "redis.sock")}
	// A free port may be taken by another process (another test binary's
	// server, say) between freePort and redis-server's bind: then the
	// server exits at once, and another pair of ports is tried.
	for attempt := 1; ; attempt++ {
		err := s.pickPorts()
		if err == nil {
			err = s.start()
		}
		if err == nil {
			return s, nil
		}
		if attempt == maxPortAttempts || !strings.Contains(err.Error(), "Address already in use") {
			os.RemoveAll(dir)
			return nil, err
		}
		for _, f := range []string{"redis.log", "nodes.conf"} {
			os.Remove(filepath.Join(dir, f))
		}
	}
}

// maxPortAttempts bounds how often Start tries new ports.
const maxPortAttempts = 5

// pickPorts chooses the loopback port (Options.TCP) and, for a cluster
// node, the bus port: a free port of its own rather than the default port
// + 10,000, which may be taken, or beyond 65,535.
func (s *Server) pickPorts() error {
	var err error
	if s.opts.TCP {
		if s.port, err = freePort(); err != nil {
			return err
		}
	}
	if s.opts.cluster {
		for s.bus = 0; s.bus == 0 || s.bus == s.port; {
			if s.bus, err = freePort(); err != nil {
				return err
			}
		}
	}
	return nil
}

// MustStart is Start for TestMain: on failure it prints the reason (with the
// install hint when redis-server is missing) and exits the test binary with
// status 1. Tests never skip for want of Redis.
func MustStart(opts Options) *Server {
	s, err := Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "redistest:", err)
		os.Exit(1)
	}
	return s
}

func (s *Server) start() error {
	args := []string{
		"--unixsocket", s.socket,
		"--unixsocketperm", "700",
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", filepath.Join(s.dir, "redis.log"),
		// A replica's first sync would otherwise wait 5 s for more replicas.
		"--repl-diskless-sync-delay", "0",
	}
	if s.opts.cluster {
		args = append(args, clusterArgs(filepath.Join(s.dir, "nodes.conf"), s.bus)...)
	}
	if s.opts.AppendOnly {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("redistest: redis-server exited at start-up: %s", s.logTail())
		default:
		}
		if c, err := net.DialTimeout("unix", s.socket, 100*time.Millisecond); err == nil {
			ok := ping(c)
			c.Close()
			if ok {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("redistest: redis-server did not answer within 10s: %s", s.logTail())
}

func ping(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// running reports whether the process is alive: not killed, not crashed.
func (s *Server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Socket is the path of the server's unix socket.
func (s *Server) Socket() string { return s.socket }

// Addr is the server's loopback host:port; it is empty unless Options.TCP.
func (s *Server) Addr() string {
	if s.port == 0 {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Options returns go-redis options that reach this server.
func (s *Server) Options() *redis.Options {
	return &redis.Options{Network: "unix", Addr: s.socket, MaxRetries: -1}
}

// Client flushes the server, so each test starts empty, and returns a
// client that is closed when the test ends.
func (s *Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(s.Options())
	tb.Cleanup(func() { c.Close() })
	if err := c.FlushAll(context.Background()).Err(); err != nil {
		tb.Fatalf("redistest: FLUSHALL: %v", err)
	}
	return c
}

// Kill stops the server at once with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
}

// Restart starts the server again in the same directory (and so from its
// append-only file, when it has one) after Kill.
func (s *Server) Restart() error {
	select {
	case <-s.exited:
	default:
		return errors.New("redistest: Restart while the server is still running; Kill it first")
	}
	return s.start()
}

// Stop kills the server and removes its directory.
func (s *Server) Stop() {
	s.Kill()
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Main is a test binary's TestMain: it starts the binary's redis-server,
// stores it in *srv, runs the tests, stops the server and exits with the
// tests' status. A fuzzing worker runs only fuzz targets, which need no
// Redis, and is killed when fuzzing ends, so it gets no server: one started
// there would outlive it.
func Main(m *testing.M, opts Options, srv **Server) {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	*srv = MustStart(opts)
	code := m.Run()
	(*srv).Stop()
	os.Exit(code)
}
