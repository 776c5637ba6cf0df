package redistest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// MasterFor is the node serving key's slot as master, as the cluster's
// first running node sees it: between a master's death and its replica's
// promotion, that is still the dead master.
func (c *Cluster) MasterFor(tb testing.TB, key string) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	slot, v, err := c.slotView(ctx, key)
	if err != nil {
		tb.Fatalf("redistest: master for %q: %v", key, err)
	}
	m := c.byID(v.owner(slot))
	if m == nil {
		tb.Fatalf("redistest: no master serves slot %d of %q", slot, key)
	}
	return m.Server
}

// slotView is key's slot and the first running node's view of the cluster.
func (c *Cluster) slotView(ctx context.Context, key string) (int, clusterView, error) {
	live := c.running()
	if len(live) == 0 {
		return 0, nil, errors.New("no node is running")
	}
	slot, err := live[0].rdb.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return 0, nil, fmt.Errorf("%s: CLUSTER KEYSLOT: %w", live[0].Addr(), err)
	}
	v, err := live[0].view(ctx)
	return int(slot), v, err
}

// KillMaster kills the master serving key's slot with SIGKILL, as a crash
// would, and returns it. One of its replicas takes over once the other
// masters judge it failed, which WaitPromoted waits for.
func (c *Cluster) KillMaster(tb testing.TB, key string) *Server {
	tb.Helper()
	m := c.MasterFor(tb, key)
	m.Kill()
	return m
}

// WaitPromoted waits until a running node serves key's slot as master and
// the running nodes have settled: each reports cluster_state:ok and they
// agree on masters, replicas and slots. It returns that node and when the
// promotion was seen, and fails the test if it is not seen within timeout.
func (c *Cluster) WaitPromoted(tb testing.TB, key string, timeout time.Duration) (*Server, time.Time) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	slot, _, err := c.slotView(ctx, key)
	if err != nil {
		tb.Fatalf("redistest: slot of %q: %v", key, err)
	}
	var promoted *clusterNode
	var at time.Time
	err = poll(ctx, fmt.Sprintf("no running master for slot %d within %v", slot, timeout), func(ctx context.Context) error {
		v, err := c.settled(ctx)
		if err != nil {
			return err
		}
		m := c.byID(v.owner(slot))
		if m == nil || !m.running() {
			return fmt.Errorf("slot %d is served by a node that is not running", slot)
		}
		promoted, at = m, time.Now()
		return nil
	})
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return promoted.Server, at
}

// Restart starts a killed node again in its directory. It keeps its node
// ID and its view of the cluster (nodes.conf) but no data, so a master
// that was failed over rejoins as a replica of the node that took its
// slots and copies that node's data; WaitReplica waits for that.
func (c *Cluster) Restart(tb testing.TB, s *Server) {
	tb.Helper()
	if c.node(s) == nil {
		tb.Fatalf("redistest: %s is not a node of this cluster", s.Addr())
	}
	if err := s.Restart(); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
}

// WaitReplica waits until s is a replica whose link to its master is up
// and the running nodes have settled, and returns its master. It fails the
// test if that does not happen within timeout.
func (c *Cluster) WaitReplica(tb testing.TB, s *Server, timeout time.Duration) *Server {
	tb.Helper()
	n := c.node(s)
	if n == nil {
		tb.Fatalf("redistest: %s is not a node of this cluster", s.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var master *clusterNode
	err := poll(ctx, fmt.Sprintf("%s is not a connected replica within %v", s.Addr(), timeout), func(ctx context.Context) error {
		if !n.running() {
			return errors.New("it is not running")
		}
		v, err := c.settled(ctx)
		if err != nil {
			return err
		}
		if master = c.byID(v[n.id].master); master == nil {
			return errors.New("it is a master")
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return master.Server
}

func (c *Cluster) node(s *Server) *clusterNode {
	for _, n := range c.nodes {
		if n.Server == s {
			return n
		}
	}
	return nil
}
