package redistest

import (
	"context"
	"fmt"
	"time"
)

// pollInterval is how often poll asks again: short next to a failover's
// seconds, long next to a local round trip.
const pollInterval = 50 * time.Millisecond

// poll calls check until it returns nil or ctx ends, and then returns
// check's last error. Cluster gossip and Sentinel decisions happen inside
// the servers, with nothing to wait on but their answers to being asked.
func poll(ctx context.Context, what string, check func(context.Context) error) error {
	var last error
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil || last == nil {
			last = err // an error caused by the deadline itself says less
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, last)
		case <-time.After(pollInterval):
		}
	}
}
