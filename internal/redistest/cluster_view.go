package redistest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// nodeView is what one node's CLUSTER NODES says about a node.
type nodeView struct {
	master string   // ID of the node it replicates; "" for a master
	flags  []string // "master", "slave", "fail?", "fail", "handshake"…, never "myself"
	linked bool     // the link to it is connected
	slots  []string // "0-5460", "5461", or "[…]" for a slot being moved
}

// healthy reports whether the node looks reachable and done joining.
func (nv nodeView) healthy() bool {
	bad := func(f string) bool { return f == "fail" || f == "fail?" || f == "handshake" || f == "noaddr" }
	return nv.linked && !slices.ContainsFunc(nv.flags, bad)
}

// clusterView is one node's CLUSTER NODES, by node ID.
type clusterView map[string]nodeView

func (n *clusterNode) view(ctx context.Context) (clusterView, error) {
	out, err := n.rdb.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("%s: CLUSTER NODES: %w", n.Addr(), err)
	}
	v := clusterView{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("%s: CLUSTER NODES line %q", n.Addr(), line)
		}
		nv := nodeView{linked: f[7] == "connected", slots: f[8:]}
		if f[3] != "-" {
			nv.master = f[3]
		}
		for flag := range strings.SplitSeq(f[2], ",") {
			if flag != "myself" {
				nv.flags = append(nv.flags, flag)
			}
		}
		v[f[0]] = nv
	}
	return v, nil
}

// owner is the ID of the master that v says serves slot, or "".
func (v clusterView) owner(slot int) string {
	for id, nv := range v {
		if nv.master != "" {
			continue
		}
		for _, r := range nv.slots {
			if strings.HasPrefix(r, "[") {
				continue
			}
			lo, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = lo
			}
			first, err1 := strconv.Atoi(lo)
			last, err2 := strconv.Atoi(hi)
			if err1 == nil && err2 == nil && first <= slot && slot <= last {
				return id
			}
		}
	}
	return ""
}

// running are the nodes whose process is alive.
func (c *Cluster) running() []*clusterNode {
	var live []*clusterNode
	for _, n := range c.nodes {
		if n.running() {
			live = append(live, n)
		}
	}
	return live
}

func (c *Cluster) byID(id string) *clusterNode {
	for _, n := range c.nodes {
		if n.id == id {
			return n
		}
	}
	return nil
}

// settled checks that the cluster, as its running nodes see it, has
// stopped changing: each reports cluster_state:ok, knows every node (so no
// handshake is under way) and sees the other running nodes connected and
// not failed; they all agree on who replicates whom and which slots each
// master serves; and every running replica follows a running master over
// a link that is up. It returns the view they agree on.
func (c *Cluster) settled(ctx context.Context) (clusterView, error) {
	live := c.running()
	var agreed clusterView
	for i, n := range live {
		info, err := n.rdb.ClusterInfo(ctx).Result()
		if err != nil {
			return nil, fmt.Errorf("%s: CLUSTER INFO: %w", n.Addr(), err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return nil, fmt.Errorf("%s: cluster_state is not ok", n.Addr())
		}
		v, err := n.view(ctx)
		if err != nil {
			return nil, err
		}
		if len(v) != len(c.nodes) {
			return nil, fmt.Errorf("%s knows %d nodes, want %d", n.Addr(), len(v), len(c.nodes))
		}
		for _, m := range live {
			if nv, ok := v[m.id]; !ok || !nv.healthy() {
				return nil, fmt.Errorf("%s sees %s as %+v", n.Addr(), m.Addr(), nv)
			}
		}
		if i == 0 {
			agreed = v
		} else if !sameShape(agreed, v, live) {
			return nil, fmt.Errorf("%s and %s disagree on masters, replicas or slots", live[0].Addr(), n.Addr())
		}
		if err := n.followsRunningMaster(ctx, c, v); err != nil {
			return nil, err
		}
	}
	return agreed, nil
}

// sameShape reports whether a and b agree on the running nodes' masters
// and slots.
func sameShape(a, b clusterView, live []*clusterNode) bool {
	for _, n := range live {
		if a[n.id].master != b[n.id].master || !slices.Equal(a[n.id].slots, b[n.id].slots) {
			return false
		}
	}
	return true
}

// followsRunningMaster checks, when n is a replica in its own view v, that
// its master is running and its replication link is up.
func (n *clusterNode) followsRunningMaster(ctx context.Context, c *Cluster, v clusterView) error {
	id := v[n.id].master
	if id == "" {
		return nil
	}
	if m := c.byID(id); m == nil || !m.running() {
		return fmt.Errorf("replica %s follows master %s, which is not running", n.Addr(), id)
	}
	info, err := n.rdb.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("%s: INFO replication: %w", n.Addr(), err)
	}
	if !strings.Contains(info, "master_link_status:up") {
		return fmt.Errorf("replica %s: link to its master is not up", n.Addr())
	}
	return nil
}
