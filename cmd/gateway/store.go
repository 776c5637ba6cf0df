package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// openRedis connects to the configured Redis: one address is a single
// server, several a Cluster, and with redis.master they are Sentinels. With
// no address it starts the embedded in-process store, for the quick start.
// The returned close function releases everything.
func openRedis(ctx context.Context, cfg RedisConfig, log *slog.Logger) (redis.UniversalClient, func(), error) {
	opts := &redis.UniversalOptions{
		Addrs: cfg.Addrs, MasterName: cfg.Master, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB,
		DialTimeout: 2 * time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
	}
	if cfg.TLS {
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	var embedded *miniredis.Miniredis
	if len(cfg.Addrs) == 0 {
		embedded = miniredis.NewMiniRedis()
		if err := embedded.StartAddr("127.0.0.1:0"); err != nil {
			return nil, nil, fmt.Errorf("start embedded store: %w", err)
		}
		opts.Addrs = []string{embedded.Addr()}
		log.Warn("no redis.addrs configured: using the EMBEDDED in-memory store; every link, key and stat is lost when the gateway stops. Set SCANGATE_REDIS_ADDRS for production.")
	}
	rdb := redis.NewUniversalClient(opts)
	closeAll := func() {
		rdb.Close()
		if embedded != nil {
			embedded.Close()
		}
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pingCtx).Err(); err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("redis at %v does not answer: %w", cfg.Addrs, err)
	}
	return rdb, closeAll, nil
}
