package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/ratelog"
)

// Client timeouts. A dead server fails a command within these; the cache
// and the stats spool make sure no scan waits for them.
const (
	redisDialTimeout  = 2 * time.Second
	redisReadTimeout  = time.Second
	redisWriteTimeout = time.Second
	// clusterReloadInterval bounds how stale the Cluster's slot map may get
	// without errors; errors reload it at once (reloadOnError).
	clusterReloadInterval = time.Second
)

// openRedis makes the configured Redis client: one address is a single
// server, several a Cluster, and with redis.master they are Sentinels. With
// no address it starts the embedded in-process store, for the quick start.
// It does not wait for Redis to answer. The returned close function
// releases everything.
func openRedis(cfg RedisConfig, log *slog.Logger) (rdb redis.UniversalClient, embedded bool, closeAll func(), err error) {
	redis.SetLogger(newRedisLogger(log, 10*time.Second))
	var tlsConf *tls.Config
	if cfg.TLS {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	addrs := cfg.Addrs
	var mem *miniredis.Miniredis
	if len(addrs) == 0 {
		mem = miniredis.NewMiniRedis()
		if err := mem.StartAddr("127.0.0.1:0"); err != nil {
			return nil, false, nil, fmt.Errorf("start embedded store: %w", err)
		}
		addrs = []string{mem.Addr()}
		log.Warn("no redis.addrs configured: using the EMBEDDED in-memory store; every link, key and stat is lost when the gateway stops. Set SCANGATE_REDIS_ADDRS for production.")
	}
	switch {
	case cfg.Master != "":
		// go-redis follows Sentinel's +switch-master itself.
		rdb = redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: cfg.Master, SentinelAddrs: addrs, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB,
			DialTimeout: redisDialTimeout, ReadTimeout: redisReadTimeout, WriteTimeout: redisWriteTimeout, TLSConfig: tlsConf,
		})
	case len(addrs) > 1:
		cc := redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: addrs, Username: cfg.Username, Password: cfg.Password,
			DialTimeout: redisDialTimeout, ReadTimeout: redisReadTimeout, WriteTimeout: redisWriteTimeout, TLSConfig: tlsConf,
			ClusterStateReloadInterval: clusterReloadInterval,
		})
		cc.AddHook(&reloadOnError{reload: func() { cc.ReloadState(context.Background()) }})
		rdb = cc
	default:
		rdb = redis.NewClient(&redis.Options{
			Addr: addrs[0], Username: cfg.Username, Password: cfg.Password, DB: cfg.DB,
			DialTimeout: redisDialTimeout, ReadTimeout: redisReadTimeout, WriteTimeout: redisWriteTimeout, TLSConfig: tlsConf,
		})
	}
	closeAll = func() {
		rdb.Close()
		if mem != nil {
			mem.Close()
		}
	}
	return rdb, mem != nil, closeAll, nil
}

// reloadOnError makes a Cluster client reload its slot map as soon as a
// command fails on the connection: go-redis reloads by itself on MOVED, but
// a dead master only refuses connections, and until the map is reloaded
// every command for its slots goes on to the dead address. After a failover
// the promoted replica is found within a reload, not a minute. Reloads are
// asynchronous and at most one per reloadEvery.
type reloadOnError struct {
	reload func()
	now    func() time.Time // nil: time.Now
	last   atomic.Int64     // Unix nanoseconds of the last reload asked for
}

const reloadEvery = 200 * time.Millisecond

func (h *reloadOnError) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *reloadOnError) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if connectionError(err) {
			h.trigger()
		}
		return err
	}
}

func (h *reloadOnError) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, c := range cmds {
			if connectionError(c.Err()) {
				h.trigger()
				break
			}
		}
		return err
	}
}

func (h *reloadOnError) trigger() {
	clock := h.now
	if clock == nil {
		clock = time.Now
	}
	now := clock().UnixNano()
	last := h.last.Load()
	if now-last < int64(reloadEvery) || !h.last.CompareAndSwap(last, now) {
		return
	}
	h.reload()
}

// connectionError reports errors of the connection rather than Redis's
// answers (a reply error, or a nil reply) or the caller's (a cancelled
// context): a dead or unreachable node, or one that says the cluster is
// reconfiguring.
func connectionError(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		return strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "READONLY") ||
			strings.HasPrefix(msg, "MASTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN")
	}
	return true
}

// redisLogger routes go-redis's own log lines (dial failures, pool and
// reconnection notices) through the gateway's structured log, at most one
// line per kind of message per interval, with the count of those held back.
type redisLogger struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time
	mu       sync.Mutex
	seen     map[string]*ratelog.Every // by format
}

func newRedisLogger(log *slog.Logger, interval time.Duration) *redisLogger {
	return &redisLogger{log: log, interval: interval, now: time.Now, seen: make(map[string]*ratelog.Every)}
}

func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.mu.Lock()
	every := l.seen[format]
	if every == nil {
		if len(l.seen) > 1000 {
			clear(l.seen) // formats are go-redis's constants; a bound that is never reached
		}
		every = &ratelog.Every{Interval: l.interval}
		l.seen[format] = every
	}
	l.mu.Unlock()
	held, ok := every.Allow(l.now())
	if !ok {
		return
	}
	msg := strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: ")
	attrs := []any{"msg", msg}
	if held > 0 {
		attrs = append(attrs, "repeated", held)
	}
	l.log.Warn("redis client", attrs...)
}
