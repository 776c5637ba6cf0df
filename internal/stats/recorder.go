package stats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Recorder counts events in Redis without ever making a scan wait for it:
// Record puts the event in a bounded queue and returns; the writer (two
// goroutines: one builds batches, one applies them) takes events off the
// queue in batches and applies each batch exactly once (see scripts.go),
// retrying while Redis is down.
type Recorder struct {
	rdb redis.UniversalClient
	cfg Config
	log *slog.Logger
	b   *builder

	mu     sync.RWMutex // Record holds it shared, so that after Close takes it no event can slip into the queue
	closed bool
	queue  chan Event

	startOnce   sync.Once
	stop        chan struct{}      // closed by Close: write what is queued, then exit
	done        chan struct{}      // closed when the writer has exited
	ctx         context.Context    // the writer's; cancelled when Close runs out of time
	cancel      context.CancelFunc // cancels ctx
	lostAtClose atomic.Int64       // events given up when Close ran out of time

	recorded, dropped, written, lost, batches, retries atomic.Int64

	seq      uint64     // run's: the last batch built
	dropsMu  sync.Mutex // both writer goroutines report drops
	drops    rateLog
	failures rateLog // applyLoop's
	// saltLog and saltErrors belong to the writer goroutine (daySalt).
	saltLog    rateLog
	saltErrors int64
	// testHook, when set (by tests), is called by the writer with the error
	// of each failed attempt to write a batch, after it has been logged, and
	// with nil once a batch is written and counted.
	testHook func(error)
}

// RecorderMetrics are plain counters for the HTTP layer to export.
type RecorderMetrics struct {
	Recorded int64 // events accepted into the queue
	Dropped  int64 // events refused: queue full, or recorder closed
	Written  int64 // events applied to Redis
	Lost     int64 // accepted events given up: Close ran out of time, or Redis refused them for good
	Batches  int64 // batches applied
	Retries  int64 // failed attempts to write a batch
	QueueLen int   // events waiting now
	QueueCap int
}

// NewRecorder returns a recorder writing to rdb; call Start, then Close.
// geo may be nil (no geography) and logger nil (no logs).
func NewRecorder(rdb redis.UniversalClient, cfg Config, geo *GeoIP, logger *slog.Logger) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("stats: writer id: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Recorder{
		rdb:   rdb,
		cfg:   cfg,
		log:   logger,
		queue: make(chan Event, cfg.QueueSize),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		ctx:   ctx, cancel: cancel,
		drops:    rateLog{interval: cfg.LogInterval},
		failures: rateLog{interval: cfg.LogInterval},
		saltLog:  rateLog{interval: cfg.LogInterval},
		b: &builder{
			cfg:      cfg,
			writer:   hex.EncodeToString(id[:]),
			geo:      geo,
			visitors: nil, // set below: it needs r
			counters: redis.NewScript(countersLua),
			stream:   redis.NewScript(streamLua),
			now:      time.Now,
			pack:     isSingleNode(rdb),
			tags:     make(map[tagID]*tagOps),
			streams:  make(map[string]*streamOps),
		},
	}
	r.b.visitors = newVisitorHasher(cfg.VisitorSecret, r.daySalt)
	return r, nil
}

// Record queues e for the writer and returns at once: false when e was
// dropped because the queue is full or the recorder is closed. It never
// blocks and does no I/O.
func (r *Recorder) Record(e Event) bool {
	r.mu.RLock()
	if !r.closed {
		select {
		case r.queue <- e:
			r.mu.RUnlock()
			r.recorded.Add(1)
			return true
		default:
		}
	}
	r.mu.RUnlock()
	r.dropped.Add(1)
	return false
}

// isSingleNode reports whether every key lives on one server, so that a
// script may touch keys of many hash slots.
func isSingleNode(rdb redis.UniversalClient) bool {
	_, ok := rdb.(*redis.Client)
	return ok
}

// Start starts the writer goroutine; later calls do nothing.
func (r *Recorder) Start() {
	r.startOnce.Do(func() { go r.run() })
}

// Close stops accepting events and waits until the writer has written every
// queued event, or until ctx is done: it then gives up the events still
// unwritten, counts them as lost and returns an error saying how many.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	first := !r.closed
	r.closed = true
	r.mu.Unlock()
	if first {
		r.Start()
		close(r.stop)
	}
	select {
	case <-r.done:
		r.cancel()
		return nil
	case <-ctx.Done():
	}
	r.cancel()
	<-r.done
	return fmt.Errorf("stats: close: %d events not written: %w", r.lostAtClose.Load(), ctx.Err())
}

// Metrics returns the recorder's counters.
func (r *Recorder) Metrics() RecorderMetrics {
	return RecorderMetrics{
		Recorded: r.recorded.Load(),
		Dropped:  r.dropped.Load(),
		Written:  r.written.Load(),
		Lost:     r.lost.Load(),
		Batches:  r.batches.Load(),
		Retries:  r.retries.Load(),
		QueueLen: len(r.queue),
		QueueCap: cap(r.queue),
	}
}

// run takes events off the queue and builds batches: the GeoIP lookups,
// visitor hashing and summing of batch N+1 happen while applyLoop, its
// partner goroutine, has Redis apply batch N.
func (r *Recorder) run() {
	batches := make(chan *batch)
	applied := make(chan struct{})
	go r.applyLoop(batches, applied)
	defer func() {
		close(batches)
		<-applied
		close(r.done)
	}()
	events := make([]Event, 0, r.cfg.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var stopping bool
		events, stopping = r.collect(events[:0], timer)
		if len(events) > 0 {
			r.seq++
			b := r.b.build(r.seq, events)
			select {
			case batches <- b:
			case <-r.ctx.Done():
				r.giveUp(int64(b.events))
			}
		}
		if r.ctx.Err() != nil {
			n := int64(len(r.queue))
			for range n {
				<-r.queue
			}
			r.giveUp(n)
			return
		}
		if stopping && len(r.queue) == 0 {
			return
		}
	}
}

// giveUp counts events abandoned because Close ran out of time.
func (r *Recorder) giveUp(n int64) {
	r.lost.Add(n)
	r.lostAtClose.Add(n)
}

// collect waits for an event, then gathers more until the batch is full or
// FlushInterval has passed since the first. Once Close has been called it
// only takes what is queued, without waiting.
func (r *Recorder) collect(buf []Event, timer *time.Timer) ([]Event, bool) {
	select {
	case e := <-r.queue:
		buf = append(buf, e)
	case <-r.stop:
		return r.drain(buf), true
	}
	timer.Reset(r.cfg.FlushInterval)
	defer timer.Stop()
	for len(buf) < r.cfg.BatchSize {
		select {
		case e := <-r.queue:
			buf = append(buf, e)
		case <-timer.C:
			return buf, false
		case <-r.stop:
			return r.drain(buf), true
		}
	}
	return buf, false
}

func (r *Recorder) drain(buf []Event) []Event {
	for len(buf) < r.cfg.BatchSize {
		select {
		case e := <-r.queue:
			buf = append(buf, e)
		default:
			return buf
		}
	}
	return buf
}

// reportDrops logs the events dropped since the last report, at most once
// per LogInterval unless final: Record runs on the request path and must
// not log.
func (r *Recorder) reportDrops(final bool) {
	r.dropsMu.Lock()
	defer r.dropsMu.Unlock()
	if n, ok := r.drops.due(time.Now(), r.dropped.Load(), final); ok {
		r.log.Warn("stats: event queue full, events dropped",
			"dropped", n, "dropped_total", r.dropped.Load(), "queue_cap", cap(r.queue))
	}
}

// rateLog decides when a repeated condition deserves another log line: at
// most once per interval, carrying the count since the last line.
type rateLog struct {
	interval time.Duration
	last     time.Time
	logged   int64 // the total at the last line
}

// due reports whether to log now, and how much total grew since the last
// line; force ignores the interval.
func (l *rateLog) due(now time.Time, total int64, force bool) (int64, bool) {
	if total <= l.logged || (!force && !l.last.IsZero() && now.Sub(l.last) < l.interval) {
		return 0, false
	}
	n := total - l.logged
	l.last, l.logged = now, total
	return n, true
}
