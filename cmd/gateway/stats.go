package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/stats"
)

const day = 24 * time.Hour

// visitorSecretKey holds the generated visitor secret when none is
// configured, so that every instance hashes visitors alike.
const visitorSecretKey = "sg:stats:visitor_secret"

// statsConfig turns the configuration into the stats package's values.
func statsConfig(ctx context.Context, cfg StatsConfig, rdb redis.UniversalClient, embedded bool, log *slog.Logger) (stats.Config, error) {
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return stats.Config{}, fmt.Errorf("stats.timezone: %w", err)
	}
	secret, err := visitorSecret(ctx, cfg.VisitorSecret, rdb, log)
	if err != nil {
		return stats.Config{}, err
	}
	sc := stats.DefaultConfig()
	sc.VisitorSecret = secret
	sc.Timezone = loc
	sc.Retention = time.Duration(cfg.RetentionDays) * day
	sc.HourlyRetention = time.Duration(cfg.HourlyRetentionDays) * day
	sc.StreamMaxLen = int64(cfg.StreamMaxLen)
	sc.StreamMaxAge = time.Duration(cfg.StreamMaxAgeDays) * day
	sc.QueueSize = cfg.QueueSize
	sc.SpoolMaxBytes = int64(cfg.SpoolMaxBytes)
	switch {
	case embedded:
		// The embedded store lives and dies with this process: there is no
		// outage to outlast, and nothing to replay into after a restart.
	case cfg.SpoolDir == "":
		log.Warn("stats.spool_dir is empty: events that arrive while Redis is down are dropped once the queue is full")
	default:
		sc.SpoolDir = cfg.SpoolDir
		log.Info("stats spool for Redis outages", "dir", cfg.SpoolDir, "max_bytes", cfg.SpoolMaxBytes)
	}
	return sc, sc.Validate()
}

// visitorSecret is the configured secret, or one generated once and shared
// through Redis (SET NX, so racing instances agree on the first).
func visitorSecret(ctx context.Context, configured string, rdb redis.UniversalClient, log *slog.Logger) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	if err := rdb.SetNX(ctx, visitorSecretKey, base64.StdEncoding.EncodeToString(b[:]), 0).Err(); err != nil {
		return nil, fmt.Errorf("store the visitor secret: %w", err)
	}
	s, err := rdb.Get(ctx, visitorSecretKey).Result()
	if err != nil {
		return nil, fmt.Errorf("read the visitor secret: %w", err)
	}
	log.Info("stats.visitor_secret not set: using the one kept in Redis; set your own to keep it out of the database")
	return []byte(s), nil
}
