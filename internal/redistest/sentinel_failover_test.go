package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestSentinelFailoverKeepsReplicatedWrites(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
	}{
		{"one replica", 1},
		{"two replicas, one reconfigured", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testSentinelFailover(t, tt.replicas) })
	}
}

func testSentinelFailover(t *testing.T, replicas int) {
	started := time.Now()
	sen := StartSentinelWithReplicas(t, replicas)
	t.Logf("master, %d replicas and sentinel ready in %v", replicas, time.Since(started))
	ctx := context.Background()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:    sen.MasterName,
		SentinelAddrs: []string{sen.Addr()},
		ReadTimeout:   15 * time.Second, // room for WAIT
	})
	t.Cleanup(func() { rdb.Close() })
	writeReplicated(t, rdb, "k", "before", replicas)

	old := sen.Master
	killed := sen.KillMaster()
	killedAt := time.Now()
	if killed != old {
		t.Fatalf("KillMaster killed %s, want %s", killed.Addr(), old.Addr())
	}
	addr, at := sen.WaitFailover(t, failoverTimeout)
	t.Logf("%s promoted %v after the kill", addr, at.Sub(killedAt))
	if addr == killed.Addr() || addr != sen.Master.Addr() {
		t.Fatalf("WaitFailover = %s, Master = %s, killed %s", addr, sen.Master.Addr(), killed.Addr())
	}
	if n := len(sen.Replicas); n != replicas-1 {
		t.Fatalf("len(Replicas) after failover = %d, want %d", n, replicas-1)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "before" {
		t.Fatalf("GET k through Sentinel after failover = %q, %v; want %q", got, err, "before")
	}
	// Writes reach the new master and, from it, the remaining replicas.
	writeReplicated(t, rdb, "k", "after", replicas-1)
}
