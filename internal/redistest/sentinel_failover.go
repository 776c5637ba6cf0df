package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// KillMaster kills Master with SIGKILL, as a crash would, and returns it.
// The Sentinel promotes one of Replicas about a second later, which
// WaitFailover waits for.
func (s *Sentinel) KillMaster() *Server {
	m := s.Master
	m.Kill()
	return m
}

// WaitFailover waits until the Sentinel names one of Replicas as master in
// place of Master, that replica answers ROLE as a master, the Sentinel has
// finished the failover, and every other running replica follows the new
// master. It then makes the new master Master and returns its address and
// when the failover was seen; it fails the test if that takes longer than
// timeout.
func (s *Sentinel) WaitFailover(tb testing.TB, timeout time.Duration) (string, time.Time) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var promoted *Server
	var at time.Time
	err := poll(ctx, fmt.Sprintf("sentinel did not fail %s over within %v", s.Master.Addr(), timeout), func(ctx context.Context) error {
		var err error
		promoted, err = s.failedOver(ctx)
		at = time.Now()
		return err
	})
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	s.Master = promoted
	s.Replicas = slices.DeleteFunc(s.Replicas, func(r *Server) bool { return r == promoted })
	return promoted.Addr(), at
}

// failedOver returns the replica the Sentinel has put in place of Master
// once the failover is complete.
func (s *Sentinel) failedOver(ctx context.Context) (*Server, error) {
	addr, err := s.sc.GetMasterAddrByName(ctx, s.MasterName).Result()
	if err != nil {
		return nil, err
	}
	named := net.JoinHostPort(addr[0], addr[1])
	if named == s.Master.Addr() {
		return nil, fmt.Errorf("sentinel still names %s", named)
	}
	i := slices.IndexFunc(s.Replicas, func(r *Server) bool { return r.Addr() == named })
	if i < 0 {
		return nil, fmt.Errorf("sentinel names %s, which is none of the replicas", named)
	}
	promoted := s.Replicas[i]
	if answer, err := roleOf(ctx, promoted); err != nil || answer[0] != "master" {
		return nil, fmt.Errorf("%s answers ROLE %v, %v; want master", named, answer, err)
	}
	state, err := s.sc.Master(ctx, s.MasterName).Result()
	if err != nil {
		return nil, err
	}
	if state["flags"] != "master" {
		return nil, fmt.Errorf("sentinel flags the master %q; the failover is not over", state["flags"])
	}
	for _, r := range s.Replicas {
		if r == promoted || !r.running() {
			continue
		}
		answer, err := roleOf(ctx, r)
		if err != nil || len(answer) < 4 || answer[0] != "slave" || net.JoinHostPort(answer[1], answer[2]) != named || answer[3] != "connected" {
			return nil, fmt.Errorf("replica %s answers ROLE %v, %v; want a replica connected to %s", r.Addr(), answer, err, named)
		}
	}
	return promoted, nil
}

// roleOf is a server's answer to ROLE, as strings: "master", …, or "slave",
// master host, master port, link state, ….
func roleOf(ctx context.Context, s *Server) ([]string, error) {
	rdb := redis.NewClient(s.Options())
	defer rdb.Close()
	reply, err := rdb.Do(ctx, "ROLE").Slice()
	if err != nil {
		return nil, err
	}
	if len(reply) == 0 {
		return nil, errors.New("empty ROLE reply")
	}
	strs := make([]string, len(reply))
	for i, v := range reply {
		strs[i] = fmt.Sprint(v)
	}
	return strs, nil
}
