package stats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Recorder counts events in Redis without ever making a scan wait for it.
//
// Record puts the event in a bounded queue and returns. The writer is two
// goroutines: one takes events off the queue and builds batches (visitor
// hashing), the other applies them to Redis, exactly once each
// (scripts.go), retrying while Redis is down. Between the two is the
// backlog (spool.go): a few batches in memory, then, with Config.SpoolDir
// set, a bounded queue on disk, so that an outage of any length fills the
// disk rather than losing events, and a restart replays what was spooled.
type Recorder struct {
	rdb      redis.UniversalClient
	cfg      Config
	log      *slog.Logger
	prep     *preparer      // the build goroutine's
	b        *encoder       // the apply goroutine's
	ahead    *encoder       // the build goroutine's (push)
	visitors *visitorHasher // the build goroutine's and VisitorID's

	writer  string // this process's writer id: the marks' owner (scripts.go)
	backlog *backlog
	spool   *spool // nil: spooling off
	pending int    // batches from pending.json not yet applied (apply goroutine)

	mu     sync.RWMutex // Record holds it shared, so that after Close takes it no event can slip into the queue
	closed bool
	queue  *eventQueue

	startOnce sync.Once
	stop      chan struct{}      // closed by Close: write what is queued, then exit
	built     chan struct{}      // closed when every queued event is in a batch, after stop
	done      chan struct{}      // closed when the writer has exited
	ctx       context.Context    // the writer's; cancelled when Close runs out of time
	cancel    context.CancelFunc // cancels ctx
	closeErr  error              // what the writer's exit says to Close

	recorded, dropped, written, replayed, lost, batches, retries, spooled, refused atomic.Int64
	lastWrite                                                                      atomic.Int64 // Unix nanoseconds of the last batch applied
	failingSince                                                                   atomic.Int64 // Unix nanoseconds of the first failure of the batch being retried; 0 when writing
	lastErr                                                                        atomic.Pointer[string]

	seq      uint64     // the build goroutine's: the last batch built
	dropsMu  sync.Mutex // both writer goroutines report drops
	drops    rateLog
	failures rateLog // the apply goroutine's
	refusals rateLog // the apply goroutine's
	// saltLog and saltErrors belong to the build goroutine (daySalt).
	saltLog    rateLog
	saltErrors int64
	salts      saltCache
	// testHook, when set (by tests), is called by the writer with the error
	// of each failed attempt to write a batch, after it has been logged, and
	// with nil once a batch is written and counted.
	testHook func(error)
}

// RecorderMetrics are plain counters for the HTTP layer to export.
type RecorderMetrics struct {
	Recorded int64 // events accepted into the queue
	Dropped  int64 // events refused: queue full, spool full, or recorder closed
	Written  int64 // events of this process applied to Redis
	Replayed int64 // events spooled by an earlier process, applied by this one
	Lost     int64 // accepted events given up: Close ran out of time with no spool, or Redis refused them for good
	Batches  int64 // batches applied
	Retries  int64 // failed attempts to write a batch
	Spooled  int64 // events written to the disk spool
	Refused  int64 // counter operations Redis refused (overflow, a key of another type), skipped
	QueueLen int   // events waiting now
	QueueCap int
}

// WriterStatus is the writer's state, for /readyz.
type WriterStatus struct {
	// LastWrite is when a batch was last applied (zero: none yet).
	LastWrite time.Time
	// FailingSince is when the batch being retried first failed (zero:
	// writing normally), and LastError why.
	FailingSince time.Time
	LastError    string
	// Backlog is how many batches wait in memory; Spool what waits on disk.
	Backlog int
	Spool   SpoolStats
	// SpoolOn says whether events can spill to disk.
	SpoolOn bool
}

// backlogMemBatches is how many built batches wait in memory for the
// applier before further ones go to the spool.
const backlogMemBatches = 4

// NewRecorder returns a recorder writing to rdb; call Start, then Close.
// logger may be nil (no logs). With Config.SpoolDir set it opens the spool
// there, and batches a previous process left will be applied first.
func NewRecorder(rdb redis.UniversalClient, cfg Config, logger *slog.Logger) (*Recorder, error) {
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
		rdb:    rdb,
		cfg:    cfg,
		log:    logger,
		writer: hex.EncodeToString(id[:]),
		queue:  newEventQueue(cfg.QueueSize),
		stop:   make(chan struct{}),
		built:  make(chan struct{}),
		done:   make(chan struct{}),
		ctx:    ctx, cancel: cancel,
		drops:    rateLog{interval: cfg.LogInterval},
		failures: rateLog{interval: cfg.LogInterval},
		refusals: rateLog{interval: cfg.LogInterval},
		saltLog:  rateLog{interval: cfg.LogInterval},
		prep:     &preparer{cfg: cfg, now: time.Now},
		b:        newEncoder(cfg, rdb),
		ahead:    newEncoder(cfg, rdb),
	}
	r.visitors = newVisitorHasher(cfg.VisitorSecret, r.salt)
	r.prep.visitors = r.visitors
	if cfg.SpoolDir != "" {
		sp, err := openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes, r.writer, logger)
		if err != nil {
			cancel()
			return nil, err
		}
		left, err := sp.readPending()
		if err != nil {
			sp.close()
			cancel()
			return nil, fmt.Errorf("stats: spool_dir %s: %w", cfg.SpoolDir, err)
		}
		r.spool = sp
		r.backlog = newBacklog(backlogMemBatches, sp, logger)
		r.backlog.pushFront(left)
		r.pending = len(left)
		if st := sp.stats(); st.Batches > 0 || len(left) > 0 {
			logger.Info("stats: replaying events spooled by an earlier run", "spooled_batches", st.Batches,
				"spooled_events", st.Events, "pending_batches", len(left), "dir", cfg.SpoolDir)
		}
	} else {
		r.backlog = newBacklog(backlogMemBatches, nil, logger)
	}
	return r, nil
}

// Record queues e for the writer and returns at once: false when e was
// dropped because the queue is full or the recorder is closed. It never
// blocks and does no I/O.
func (r *Recorder) Record(e Event) bool {
	r.mu.RLock()
	ok := !r.closed && r.queue.put(&e)
	r.mu.RUnlock()
	if !ok {
		r.dropped.Add(1)
		return false
	}
	r.recorded.Add(1)
	return true
}

// newEncoder returns an encoder for one goroutine: the applier's, or the
// builder's that lays batches out ahead.
func newEncoder(cfg Config, rdb redis.UniversalClient) *encoder {
	return &encoder{
		cfg:      cfg,
		counters: redis.NewScript(countersLua),
		stream:   redis.NewScript(streamLua),
		now:      time.Now,
		pack:     isSingleNode(rdb),
		tags:     make(map[tagID]*tagOps),
		buckets:  make(map[bucket]bucketTimes),
		caps:     labelCaps(cfg),
		streams:  make(map[string]*streamOps),
		tallyOf:  make(map[uint64]int),
		seed:     maphash.MakeSeed(),
	}
}

// isSingleNode reports whether every key lives on one server, so that a
// script may touch keys of many hash slots.
func isSingleNode(rdb redis.UniversalClient) bool {
	_, ok := rdb.(*redis.Client)
	return ok
}

// Start starts the writer; later calls do nothing.
func (r *Recorder) Start() {
	r.startOnce.Do(func() {
		go r.prefetchSalts()
		go r.run()
	})
}

// Close stops accepting events and waits until the writer has written every
// queued and spooled event, or until ctx is done. Then, with a spool, what
// is still unwritten stays on disk for the next start (Close reports how
// much, without error); without one it is given up, counted as lost, and
// the error says how many.
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
	case <-ctx.Done():
		r.cancel()
		<-r.done
	case <-r.built:
		// Every event is in a batch. Once Redis has refused writes for a
		// retry or two (not just blinked), keep the rest on disk rather
		// than retry until ctx runs out, and a container's stop timeout
		// with it.
		grace := 2*r.cfg.MaxBackoff + 100*time.Millisecond
		tick := time.NewTicker(grace / 4)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-r.done:
				break wait
			case <-ctx.Done():
				r.cancel()
				<-r.done
				break wait
			case <-tick.C:
				if f := r.failingSince.Load(); r.spool != nil && f != 0 && time.Since(time.Unix(0, f)) >= grace {
					r.log.Info("stats: Redis is not taking writes; keeping unwritten events on disk for the next start")
					r.cancel()
					<-r.done
					break wait
				}
			}
		}
	}
	r.cancel()
	return r.closeErr
}

// Metrics returns the recorder's counters.
func (r *Recorder) Metrics() RecorderMetrics {
	return RecorderMetrics{
		Recorded: r.recorded.Load(),
		Dropped:  r.dropped.Load(),
		Written:  r.written.Load(),
		Replayed: r.replayed.Load(),
		Lost:     r.lost.Load(),
		Batches:  r.batches.Load(),
		Retries:  r.retries.Load(),
		Spooled:  r.spooled.Load(),
		Refused:  r.refused.Load(),
		QueueLen: r.queue.len(),
		QueueCap: r.cfg.QueueSize,
	}
}

// Status returns the writer's state.
func (r *Recorder) Status() WriterStatus {
	st := WriterStatus{Backlog: r.backlog.batches(), Spool: r.spool.stats(), SpoolOn: r.spool != nil}
	if n := r.lastWrite.Load(); n != 0 {
		st.LastWrite = time.Unix(0, n)
	}
	if n := r.failingSince.Load(); n != 0 {
		st.FailingSince = time.Unix(0, n)
		if e := r.lastErr.Load(); e != nil {
			st.LastError = *e
		}
	}
	return st
}
