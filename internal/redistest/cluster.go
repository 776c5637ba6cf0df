package redistest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterNodeTimeout is how long a node may go unanswered before the
// others count it as failed: short, so a killed master's replica takes
// over within a few seconds of a test killing it.
const clusterNodeTimeout = 1000 * time.Millisecond

// clusterArgs make a redis-server a cluster node. A replica may always
// take over (validity factor 0), however long its link has been down, and
// replicas never migrate to another master, so the topology stays the one
// the test built.
func clusterArgs(nodesConf string, busPort int) []string {
	return []string{
		"--cluster-enabled", "yes",
		"--cluster-port", strconv.Itoa(busPort),
		"--cluster-config-file", nodesConf,
		"--cluster-node-timeout", strconv.Itoa(int(clusterNodeTimeout.Milliseconds())),
		"--cluster-replica-validity-factor", "0",
		"--cluster-allow-replica-migration", "no",
	}
}

// Cluster is a Redis Cluster of real redis-server processes on loopback:
// masters owning equal shares of the 16,384 slots, and the replicas a test
// asked for, which take over when their master is killed.
type Cluster struct {
	nodes []*clusterNode // masters first, then replicas
}

// clusterNode is a node with the ID it keeps across restarts (it is in its
// nodes.conf) and a client that reconnects after them.
type clusterNode struct {
	*Server
	id  string
	rdb *redis.Client
}

// StartCluster starts n masters (at least 3, as Redis requires) and no
// replicas, joins them and waits until the cluster reports itself ok. It
// stops the nodes when the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	return StartClusterWithReplicas(tb, n, 0)
}

// StartClusterWithReplicas is StartCluster with replicasPerMaster replicas
// of each master. It returns once every node agrees on who replicates whom
// and every replica's link to its master is up, so a master can be killed
// at once.
func StartClusterWithReplicas(tb testing.TB, masters, replicasPerMaster int) *Cluster {
	tb.Helper()
	c := &Cluster{}
	tb.Cleanup(c.Stop)
	if err := c.start(masters, replicasPerMaster); err != nil {
		tb.Fatalf("redistest: %v", err)
	}
	return c
}

func (c *Cluster) start(masters, replicasPerMaster int) error {
	if masters < 3 {
		return errors.New("a Redis Cluster needs at least 3 masters")
	}
	if replicasPerMaster < 0 {
		return errors.New("replicas per master cannot be negative")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range masters * (1 + replicasPerMaster) {
		s, err := Start(Options{TCP: true, cluster: true})
		if err != nil {
			return err
		}
		n := &clusterNode{Server: s, rdb: redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})}
		c.nodes = append(c.nodes, n)
		if n.id, err = n.rdb.ClusterMyID(ctx).Result(); err != nil {
			return fmt.Errorf("cluster myid: %w", err)
		}
	}
	if err := c.assignSlots(ctx, c.nodes[:masters]); err != nil {
		return err
	}
	first := c.nodes[0]
	for _, n := range c.nodes[1:] {
		host, port, _ := strings.Cut(n.Addr(), ":")
		// The node's bus port is its own (clusterArgs), not port + 10,000.
		if err := first.rdb.Do(ctx, "CLUSTER", "MEET", host, port, n.bus).Err(); err != nil {
			return fmt.Errorf("cluster meet: %w", err)
		}
	}
	for i, n := range c.nodes[masters:] {
		if err := n.replicate(ctx, c.nodes[i%masters]); err != nil {
			return err
		}
	}
	return poll(ctx, "cluster not ok in time", func(ctx context.Context) error {
		_, err := c.settled(ctx)
		return err
	})
}

func (c *Cluster) assignSlots(ctx context.Context, masters []*clusterNode) error {
	per := 16384 / len(masters)
	for i, m := range masters {
		start, end := i*per, (i+1)*per-1
		if i == len(masters)-1 {
			end = 16383
		}
		if err := m.rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", start, end).Err(); err != nil {
			return fmt.Errorf("assign slots: %w", err)
		}
	}
	return nil
}

// replicate makes n a replica of master as soon as n has heard of master
// (by gossip, after the MEET), which CLUSTER REPLICATE requires.
func (n *clusterNode) replicate(ctx context.Context, master *clusterNode) error {
	return poll(ctx, "cluster replicate", func(ctx context.Context) error {
		return n.rdb.ClusterReplicate(ctx, master.id).Err()
	})
}

// Nodes are every node, masters and replicas, killed or not, in the order
// they were started: the first masters given to StartClusterWithReplicas
// are the masters, unless a failover has changed that since.
func (c *Cluster) Nodes() []*Server {
	servers := make([]*Server, len(c.nodes))
	for i, n := range c.nodes {
		servers[i] = n.Server
	}
	return servers
}

// Addrs are the host:port addresses of every node, replicas included.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Client flushes every master (and so its replicas) and returns a cluster
// client that is closed when the test ends.
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
	for _, n := range c.nodes {
		n.rdb.Close()
		n.Stop()
	}
}
