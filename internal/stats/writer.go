package stats

import (
	"errors"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// minBackoff is the first wait before retrying a failed batch; it doubles up
// to Config.MaxBackoff.
const minBackoff = 20 * time.Millisecond

// applyLoop writes the batches run builds, one at a time and in order, as
// the marks of scripts.go require. Of the two writer goroutines it alone
// logs.
func (r *Recorder) applyLoop(batches <-chan *batch, applied chan<- struct{}) {
	defer close(applied)
	defer r.reportDrops(true)
	for b := range batches {
		r.write(b)
		r.reportDrops(false)
	}
}

// write applies one batch and counts the outcome; it returns once the batch
// is written, given up, or Close has run out of time.
func (r *Recorder) write(b *batch) {
	switch {
	case r.ctx.Err() != nil:
		r.giveUp(int64(b.events))
	case !r.apply(b):
		if r.ctx.Err() != nil {
			r.giveUp(int64(b.events))
		} else {
			r.lost.Add(int64(b.events))
		}
	default:
		r.written.Add(int64(b.events))
		r.batches.Add(1)
		if r.testHook != nil {
			r.testHook(nil)
		}
	}
}

// apply runs the batch's calls until each has succeeded, retrying the
// failed ones with backoff: a retry cannot count twice (scripts.go). It
// reports false when part of the batch was given up.
func (r *Recorder) apply(b *batch) bool {
	pending := b.calls
	first := time.Now()
	backoff := minBackoff
	complete, reloaded, failures := true, false, int64(0)
	for {
		retry, permanent, err := r.exec(pending)
		if permanent != nil {
			complete = false
			r.log.Error("stats: Redis refused part of a batch; it is not counted", "batch", b.seq, "err", permanent)
		}
		if len(retry) == 0 {
			if failures > 0 {
				r.log.Info("stats: Redis writes recovered", "batch", b.seq, "failed_attempts", failures)
				r.failures = rateLog{interval: r.cfg.LogInterval}
			}
			return complete
		}
		pending = retry
		if isNoScript(err) && !reloaded {
			// A new or restarted Redis has an empty script cache: load, go again.
			reloaded = true
			if err = r.loadScripts(); err == nil {
				continue
			}
		}
		failures++
		r.retries.Add(1)
		if time.Since(first) > r.cfg.DedupTTL/2 {
			r.log.Error("stats: giving up a batch that Redis has refused for too long", "batch", b.seq,
				"events", b.events, "since", first, "err", err)
			return false
		}
		if n, ok := r.failures.due(time.Now(), failures, false); ok {
			r.log.Warn("stats: writing to Redis failed; retrying, holding the batch in memory",
				"batch", b.seq, "failed_attempts", failures, "new_failures", n, "queued", len(r.queue), "err", err)
		}
		r.reportDrops(false)
		if r.testHook != nil {
			r.testHook(err)
		}
		select {
		case <-time.After(backoff):
		case <-r.ctx.Done():
			return false
		}
		backoff = min(2*backoff, r.cfg.MaxBackoff)
	}
}

// exec sends calls in one pipeline. It returns the calls to retry with the
// first error that failed one of them, and the first permanent error
// (calls that failed with it are not retried).
func (r *Recorder) exec(calls []call) (retry []call, permanent, err error) {
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(calls))
	for i, c := range calls {
		cmds[i] = c.script.EvalSha(r.ctx, pipe, c.keys, c.args...)
	}
	pipe.Exec(r.ctx) // errors are per command, below
	for i, cmd := range cmds {
		switch e := cmd.Err(); {
		case e == nil:
		case transient(e):
			retry = append(retry, calls[i])
			if err == nil || isNoScript(e) {
				err = e
			}
		default:
			if permanent == nil {
				permanent = e
			}
		}
	}
	return retry, permanent, err
}

func (r *Recorder) loadScripts() error {
	if err := r.b.counters.Load(r.ctx, r.rdb).Err(); err != nil {
		return err
	}
	return r.b.stream.Load(r.ctx, r.rdb).Err()
}

func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT"))
}

// transient tells errors worth retrying (the connection, or a server that
// is loading, failing over or out of memory) from the server refusing the
// command for good (a wrong key type, a script error).
func transient(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // the connection, a timeout, a closed pool: not Redis's answer
	}
	for _, p := range []string{"NOSCRIPT", "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN",
		"READONLY", "OOM", "MISCONF", "MOVED", "ASK", "NOREPLICAS"} {
		if strings.HasPrefix(rerr.Error(), p) {
			return true
		}
	}
	return false
}
