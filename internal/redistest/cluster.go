package redistest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of real redis-server processes on loopback,
// every node a master owning an equal share of the 16,384 slots.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts n nodes (at least 3, as Redis requires), joins them
// and waits until the cluster reports itself ok. It stops the nodes when
// the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c, err := startCluster(n)
	if err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	tb.Cleanup(c.Stop)
	return c
}

func startCluster(n int) (*Cluster, error) {
	if n < 3 {
		return nil, errors.New("a Redis Cluster needs at least 3 masters")
	}
	c := &Cluster{}
	for i := 0; i < n; i++ {
		s, err := Start(Options{TCP: true, cluster: true})
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.nodes = append(c.nodes, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	first := redis.NewClient(&redis.Options{Addr: c.nodes[0].Addr()})
	defer first.Close()
	per := 16384 / n
	for i, s := range c.nodes {
		node := redis.NewClient(&redis.Options{Addr: s.Addr()})
		start, end := i*per, (i+1)*per-1
		if i == n-1 {
			end = 16383
		}
		err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", start, end).Err()
		node.Close()
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("assign slots: %w", err)
		}
		if i > 0 {
			host, port, _ := strings.Cut(s.Addr(), ":")
			if err := first.ClusterMeet(ctx, host, port).Err(); err != nil {
				c.Stop()
				return nil, fmt.Errorf("cluster meet: %w", err)
			}
		}
	}
	if err := c.waitOK(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// waitOK polls every node until each sees the whole cluster ok; joining
// takes a few gossip rounds, which nothing can be told to signal.
func (c *Cluster) waitOK(ctx context.Context) error {
	for _, s := range c.nodes {
		node := redis.NewClient(&redis.Options{Addr: s.Addr()})
		for {
			info, err := node.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", len(c.nodes))) {
				break
			}
			select {
			case <-ctx.Done():
				node.Close()
				return fmt.Errorf("cluster not ok in time: %v %q", err, info)
			case <-time.After(50 * time.Millisecond):
			}
		}
		node.Close()
	}
	return nil
}

// Addrs are the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Client flushes every node and returns a cluster client that is closed
// when the test ends.
func (c *Cluster) Client(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	tb.Cleanup(func() { cc.Close() })
	err := cc.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		return m.FlushAll(ctx).Err()
	})
	if err != nil {
		tb.Fatalf("redistest: flush cluster: %v", err)
	}
	return cc
}

// Stop kills every node and removes their directories.
func (c *Cluster) Stop() {
	for _, s := range c.nodes {
		s.Stop()
	}
}
