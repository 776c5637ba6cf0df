package stats

import (
	"context"
	"fmt"
	"time"
)

// The build goroutine: it takes events off the queue into batches, hands
// them to the backlog, and, when the writer stops, settles what is left.

// run builds batches from the queue and hands them to the backlog, while
// applyLoop, its partner goroutine, applies them. Once the queue is drained
// after Close (or Close ran out of time), it settles what is left.
func (r *Recorder) run() {
	unapplied := make(chan *batch, 1)
	go r.applyLoop(unapplied)
	events := make([]Event, 0, r.cfg.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var stopping bool
		events, stopping = r.collect(events[:0], timer)
		if len(events) > 0 {
			r.seq++
			r.push(&batch{writer: r.writer, seq: r.seq, records: r.prep.prepare(events)})
		}
		if stopping && r.queue.len() == 0 {
			break
		}
	}
	close(r.built)
	r.backlog.close()
	inflight := <-unapplied
	left := r.backlog.abort()
	if inflight != nil {
		left = append([]*batch{inflight}, left...)
	}
	r.settle(left)
	r.reportDrops(true)
	close(r.done)
}

// push hands a built batch to the backlog and counts where it went. It lays
// the batch out as script calls first, while the applier waits for Redis
// on the batch before it: so Redis and this work overlap.
func (r *Recorder) push(b *batch) {
	b.calls = r.ahead.encode(b)
	res, err := r.backlog.push(r.ctx, b)
	r.reportDrops(false)
	n := int64(len(b.records))
	switch res {
	case pushedDisk:
		r.spooled.Add(n)
	case pushRefused:
		if r.ctx.Err() != nil && r.spool == nil {
			r.lost.Add(n) // Close ran out of time with nowhere to keep them
			return
		}
		r.dropped.Add(n) // reportDrops logs them, at most once per LogInterval
		if r.testHook != nil {
			r.testHook(err)
		}
	}
}

// settle deals with the batches still unapplied when the writer stops:
// they go to pending.json for the next start or, without a spool, are lost.
func (r *Recorder) settle(left []*batch) {
	var events int64
	for _, b := range left {
		events += int64(len(b.records))
	}
	if r.spool == nil {
		if events > 0 {
			r.lost.Add(events)
			r.closeErr = fmt.Errorf("stats: close: %d events not written: %w", events, context.DeadlineExceeded)
		}
		return
	}
	var err error
	if len(left) > 0 {
		err = r.spool.writePending(left)
	} else {
		err = r.spool.removePending()
	}
	if err != nil {
		r.lost.Add(events)
		r.closeErr = fmt.Errorf("stats: close: %d events not written: save them in %s: %w", events, r.cfg.SpoolDir, err)
	}
	st := r.spool.stats()
	if cerr := r.spool.close(); cerr != nil && r.closeErr == nil {
		r.closeErr = fmt.Errorf("stats: close the spool: %w", cerr)
	}
	if st.Batches > 0 || len(left) > 0 {
		r.log.Warn("stats: Redis did not take every event before shutdown; they are kept on disk and written at the next start",
			"spooled_events", st.Events+events, "dir", r.cfg.SpoolDir)
	}
}

// collect gathers a batch: full chunks of the queue as they come, until
// the batch is full or FlushInterval is over, when it also takes the
// chunks still filling (if it has any event by then; otherwise it waits
// another interval). Once Close has been called it only takes what is
// queued, without waiting. An event waits at most about FlushInterval.
func (r *Recorder) collect(buf []Event, timer *time.Timer) ([]Event, bool) {
	limit := r.cfg.BatchSize
	buf = r.queue.takeRest(buf, limit)
	timer.Reset(r.cfg.FlushInterval)
	defer timer.Stop()
	for len(buf) < limit {
		select {
		case c := <-r.queue.filled:
			buf = r.queue.take(buf, c, limit)
		case <-timer.C:
			if buf = r.queue.takeQueued(buf, limit); len(buf) > 0 {
				return buf, false
			}
			timer.Reset(r.cfg.FlushInterval)
		case <-r.stop:
			return r.queue.takeQueued(buf, limit), true
		}
	}
	return buf, false
}
