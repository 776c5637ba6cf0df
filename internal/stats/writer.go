package stats

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// minBackoff is the first wait before retrying a failed batch; it doubles up
// to Config.MaxBackoff.
const minBackoff = 20 * time.Millisecond

// applyLoop applies the backlog's batches, one at a time and in order, as
// the marks of scripts.go require, until the backlog is closed and empty.
// When Close runs out of time it stops and hands back the batch it was
// retrying (nil if none), for run to keep. Of the two writer goroutines it
// alone logs write failures.
func (r *Recorder) applyLoop(unapplied chan<- *batch) {
	for {
		b := r.backlog.pop(r.ctx)
		if b == nil {
			unapplied <- nil
			return
		}
		if !r.write(b) {
			unapplied <- b
			return
		}
		r.reportDrops(false)
	}
}

// applyResult is how an attempt to apply a batch ended.
type applyResult int

const (
	applied   applyResult = iota // every call went through (some may have been refused for good, and counted)
	gaveUp                       // the batch failed for too long to be retried safely; lost
	cancelled                    // Close ran out of time; the batch is not applied (it may be in part)
)

// write applies one batch and counts the outcome. It reports false when
// Close ran out of time first.
func (r *Recorder) write(b *batch) bool {
	res, lost := r.apply(b)
	n := int64(len(b.records))
	switch res {
	case cancelled:
		return false
	case gaveUp:
		r.lost.Add(n)
		r.appliedPending()
		return true
	}
	r.lost.Add(lost)
	if b.writer == r.writer {
		r.written.Add(n - lost)
	} else {
		r.replayed.Add(n - lost)
	}
	r.batches.Add(1)
	r.lastWrite.Store(time.Now().UnixNano())
	r.appliedPending()
	if r.testHook != nil {
		r.testHook(nil)
	}
	return true
}

// appliedPending notes that a batch is done with; once every batch of
// pending.json is, the file goes.
func (r *Recorder) appliedPending() {
	if r.pending > 0 {
		if r.pending--; r.pending == 0 && r.spool != nil {
			r.spool.removePending()
		}
	}
}

// tooOld reports whether b may be applied in part and its marks may have
// expired, or be about to: a retry could then count that part twice.
func (r *Recorder) tooOld(b *batch) bool {
	return b.tried && time.Since(b.first) > r.cfg.DedupTTL/2
}

// apply runs the batch's calls until each has succeeded, retrying the
// failed ones with backoff: a retry cannot count twice (scripts.go). A call
// Redis refuses for good is split into one call per tag and those retried,
// so a refusal loses only the events of the tag that caused it; that many
// events are returned as lost.
func (r *Recorder) apply(b *batch) (applyResult, int64) {
	if r.tooOld(b) {
		r.log.Error("stats: giving up a batch first tried too long ago to retry safely", "batch", b.seq,
			"events", len(b.records), "since", b.first)
		return gaveUp, 0
	}
	pending := b.calls
	if pending == nil {
		pending = r.b.encode(b)
	}
	b.calls = nil
	defer releaseCalls(pending)
	backoff := minBackoff
	var failures, lost int64
	split := false
	defer r.failingSince.Store(0)
	for {
		retry, refused, err := r.exec(b, pending)
		for _, c := range refused {
			if c.call.tags > 1 && !split {
				// Several groups in one call: retry them one by one, which
				// the marks make safe, to find the one Redis refuses.
				split = true
				retry = r.b.encodeSplit(b)
				defer releaseCalls(retry)
				r.log.Warn("stats: Redis refused a batch call; retrying its parts one by one", "batch", b.seq, "err", c.err)
				break
			}
			lost += c.call.events
			r.log.Error("stats: Redis refused part of a batch; its events are not counted",
				"batch", b.seq, "events", c.call.events, "key", c.call.keys[0], "err", c.err)
		}
		if len(retry) == 0 {
			if failures > 0 {
				r.log.Info("stats: Redis writes recovered", "batch", b.seq, "failed_attempts", failures)
				r.failures = rateLog{interval: r.cfg.LogInterval}
			}
			return applied, lost
		}
		pending = retry
		if err == nil {
			continue // only a split or NOSCRIPT: go again at once
		}
		if r.ctx.Err() != nil {
			return cancelled, 0
		}
		failures++
		r.retries.Add(1)
		if r.failingSince.Load() == 0 {
			r.failingSince.Store(time.Now().UnixNano())
		}
		msg := err.Error()
		r.lastErr.Store(&msg)
		if r.tooOld(b) {
			// Part of it may be applied, and its marks are about to expire:
			// a retry after that could count that part twice.
			r.log.Error("stats: giving up a batch that Redis has refused for too long", "batch", b.seq,
				"events", len(b.records), "since", b.first, "err", err)
			return gaveUp, 0
		}
		if n, ok := r.failures.due(time.Now(), failures, false); ok {
			r.log.Warn("stats: writing to Redis failed; retrying, holding the batch",
				"batch", b.seq, "failed_attempts", failures, "new_failures", n, "queued", r.queue.len(),
				"spooled_batches", r.spool.stats().Batches, "err", err)
		}
		r.reportDrops(false)
		if r.testHook != nil {
			r.testHook(err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
			return cancelled, 0
		}
		backoff = min(2*backoff, r.cfg.MaxBackoff)
	}
}

// refusal is a call Redis refused for good, with why.
type refusal struct {
	call call
	err  error
}

// exec sends calls in one pipeline. It returns the calls to retry with the
// error that failed them (a NOSCRIPT one switched to EVAL, and the error
// nil if that is the only reason), and the calls refused for good. It marks
// b tried when an attempt may have reached Redis.
func (r *Recorder) exec(b *batch, calls []call) (retry []call, refused []refusal, err error) {
	if r.ctx.Err() != nil {
		return calls, nil, r.ctx.Err()
	}
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(calls))
	bufs := make([]*[]any, len(calls))
	for i := range calls {
		bufs[i] = getArgs()
		*bufs[i] = calls[i].command(*bufs[i])
		cmds[i] = pipe.Do(r.ctx, *bufs[i]...)
	}
	defer func() {
		for _, b := range bufs {
			putArgs(b)
		}
	}()
	start := time.Now()
	pipe.Exec(r.ctx) // errors are per command, below
	onlyNoScript := true
	for i, cmd := range cmds {
		e := cmd.Err()
		switch {
		case e == nil:
			r.countRefused(cmd)
		case isNoScript(e):
			c := calls[i]
			c.eval = true
			retry = append(retry, c)
		case transient(e):
			retry = append(retry, calls[i])
			onlyNoScript = false
			if err == nil {
				err = e
			}
			if mayHaveRun(e) && !b.tried {
				b.tried, b.first = true, start
			}
		default:
			refused = append(refused, refusal{calls[i], e})
		}
	}
	if len(retry) < len(calls) && len(retry)+len(refused) > 0 && !b.tried {
		// Part of the batch is applied (some calls went through, others
		// did not): its marks now start to age.
		b.tried, b.first = true, start
	}
	if onlyNoScript {
		err = nil
	}
	return retry, refused, err
}

// countRefused reads how many operations a script call skipped because
// Redis refused them (scripts.go), and logs them at most once per interval.
func (r *Recorder) countRefused(cmd *redis.Cmd) {
	res, _ := cmd.Int64Slice()
	if len(res) < 2 || res[1] == 0 {
		return
	}
	total := r.refused.Add(res[1])
	if n, ok := r.refusals.due(time.Now(), total, false); ok {
		r.log.Error("stats: Redis refused counter operations (a counter at its limit, or a key of another type); they were skipped",
			"refused", n, "refused_total", total)
	}
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

// mayHaveRun reports whether a failed call may have run on the server
// anyway: the request may have been sent and the reply lost. A refused
// dial, or an error reply, means it did not run.
func mayHaveRun(err error) bool {
	var rerr redis.Error
	if errors.As(err, &rerr) || errors.Is(err, context.Canceled) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return !strings.Contains(err.Error(), "failed to dial") && !errors.Is(err, redis.ErrClosed) &&
		!errors.Is(err, redis.ErrPoolTimeout)
}
