package redistest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// failoverTimeout bounds every wait for a failover: they take seconds, so
// only one that never happens runs into it.
const failoverTimeout = 30 * time.Second

func TestClusterFailoverKeepsReplicatedWrites(t *testing.T) {
	started := time.Now()
	cl := StartClusterWithReplicas(t, 3, 1)
	t.Logf("3 masters and 3 replicas ready in %v", time.Since(started))
	if n := len(cl.Nodes()); n != 6 {
		t.Fatalf("len(Nodes()) = %d, want 6", n)
	}
	if n := len(cl.Addrs()); n != 6 {
		t.Fatalf("len(Addrs()) = %d, want 6", n)
	}
	ctx := context.Background()
	cc := cl.Client(t)
	const key = "{failover}:k"
	old := cl.MasterFor(t, key)
	if !slices.Contains(cl.Nodes()[:3], old) {
		t.Fatalf("MasterFor(%q) = %s, not one of the first three nodes", key, old.Addr())
	}
	writeReplicated(t, directClient(t, old), key, "before", 1)
	if got := cc.Get(ctx, key).Val(); got != "before" {
		t.Fatalf("GET %s before the kill = %q, want %q", key, got, "before")
	}

	killed := cl.KillMaster(t, key)
	killedAt := time.Now()
	if killed != old {
		t.Fatalf("KillMaster killed %s, want %s", killed.Addr(), old.Addr())
	}
	promoted, at := cl.WaitPromoted(t, key, failoverTimeout)
	t.Logf("%s promoted %v after the kill", promoted.Addr(), at.Sub(killedAt))
	if promoted == killed {
		t.Fatal("WaitPromoted returned the killed master")
	}
	if m := cl.MasterFor(t, key); m != promoted {
		t.Fatalf("MasterFor after promotion = %s, want %s", m.Addr(), promoted.Addr())
	}
	// A fresh client: cc would keep sending the slot to the dead node until
	// its next topology reload, since go-redis reloads on MOVED, not on a
	// refused connection (and otherwise every ClusterStateReloadInterval,
	// 60 s by default).
	after := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()})
	defer after.Close()
	if got, err := after.Get(ctx, key).Result(); err != nil || got != "before" {
		t.Fatalf("GET %s after promotion = %q, %v; want %q", key, got, err, "before")
	}
	if err := after.Set(ctx, key, "after", 0).Err(); err != nil {
		t.Fatalf("SET %s after promotion: %v", key, err)
	}

	cl.Restart(t, killed)
	if m := cl.WaitReplica(t, killed, failoverTimeout); m != promoted {
		t.Fatalf("restarted %s replicates %s, want %s", killed.Addr(), m.Addr(), promoted.Addr())
	}
	if got := readOnReplica(t, killed, key); got != "after" {
		t.Fatalf("GET %s on the restarted node = %q, want %q", key, got, "after")
	}
}

// With two replicas, the one not promoted follows the new master.
func TestClusterFailoverWithTwoReplicas(t *testing.T) {
	cl := StartClusterWithReplicas(t, 3, 2)
	if n := len(cl.Nodes()); n != 9 {
		t.Fatalf("len(Nodes()) = %d, want 9", n)
	}
	cl.Client(t)
	const key = "{two}:k"
	writeReplicated(t, directClient(t, cl.MasterFor(t, key)), key, "v", 2)
	killed := cl.KillMaster(t, key)
	promoted, _ := cl.WaitPromoted(t, key, failoverTimeout)
	if promoted == killed {
		t.Fatal("WaitPromoted returned the killed master")
	}
	var followers []*Server
	for _, s := range cl.Nodes()[3:] {
		if s != promoted && cl.WaitReplica(t, s, failoverTimeout) == promoted {
			followers = append(followers, s)
		}
	}
	if len(followers) != 1 {
		t.Fatalf("%d replicas follow the promoted node, want 1 (the killed master's other replica)", len(followers))
	}
	if got := readOnReplica(t, followers[0], key); got != "v" {
		t.Fatalf("GET %s on the other replica = %q, want %q", key, got, "v")
	}
}

// writeReplicated sets key and waits until replicas replicas have it:
// replication is asynchronous, and WAIT counts the replicas that have this
// connection's writes, so the SET and the WAIT share one connection.
func writeReplicated(t *testing.T, rdb *redis.Client, key, value string, replicas int) {
	t.Helper()
	ctx := context.Background()
	var wait *redis.Cmd
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, key, value, 0)
		wait = p.Do(ctx, "WAIT", replicas, 10_000)
		return nil
	})
	acked, _ := wait.Int()
	if err != nil || acked < replicas {
		t.Fatalf("SET %s, WAIT %d = %d replicas, %v", key, replicas, acked, err)
	}
}

// directClient is a client of s alone, with room for WAIT's 10 seconds.
func directClient(t *testing.T, s *Server) *redis.Client {
	opts := s.Options()
	opts.ReadTimeout = 15 * time.Second
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// readOnReplica reads key from s directly; a cluster replica serves reads
// only to a connection that sent READONLY.
func readOnReplica(t *testing.T, s *Server, key string) string {
	t.Helper()
	ctx := context.Background()
	var get *redis.StringCmd
	_, err := directClient(t, s).Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ReadOnly(ctx)
		get = p.Get(ctx, key)
		return nil
	})
	if err != nil {
		t.Fatalf("READONLY, GET %s on %s: %v", key, s.Addr(), err)
	}
	return get.Val()
}
