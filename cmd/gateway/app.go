package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/httpapi"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/stats"
	"github.com/scangate/scangate/internal/urllinks"
)

// app is everything that needs Redis to start: the stores, the recorder and
// the HTTP routes.
type app struct {
	api          *httpapi.Server
	recorder     *stats.Recorder
	geo          *geo.DB
	bootstrapKey string
	// bootstrapEmail and bootstrapToken: the console's first admin and
	// the one-time token that sets its password, when it has none.
	bootstrapEmail, bootstrapToken string
}

// startApp waits until Redis answers (logging, at most every ten seconds,
// that it waits), then builds the gateway. Every step that needs Redis is
// retried the same way, so a Cluster that answers one node's PING but not
// yet the others' does not end the process. Only a wrong configuration or
// a cancelled ctx ends it early.
func startApp(ctx context.Context, cfg Config, rdb redis.UniversalClient, embedded bool, log *slog.Logger) (*app, error) {
	retry := func(what string, fn func(context.Context) error) error {
		backoff := 100 * time.Millisecond
		var lastLog time.Time
		for {
			stepCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := fn(stepCtx)
			cancel()
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if time.Since(lastLog) >= 10*time.Second {
				log.Error("waiting for Redis: scans answer 503 until it answers", "step", what, "addrs", cfg.Redis.Addrs, "err", err)
				lastLog = time.Now()
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
		}
	}
	if err := retry("ping", func(ctx context.Context) error { return rdb.Ping(ctx).Err() }); err != nil {
		return nil, err
	}
	linkStore := links.NewStore(rdb, links.Options{
		CacheTTL: cfg.Cache.TTL, NegativeTTL: cfg.Cache.NegativeTTL, CacheSize: cfg.Cache.MaxEntries, Logger: log,
		TrashFor: time.Duration(cfg.Links.TrashDays) * 24 * time.Hour,
	})
	if cfg.ReadOnlyFrom != "" {
		if err := loadBackup(ctx, linkStore, rdb, cfg.ReadOnlyFrom, log); err != nil {
			return nil, err
		}
	}
	// The feed runs until the process ends, not until this step's timeout
	// (the client's own timeouts bound its first read).
	if err := retry("link change feed", func(context.Context) error { return linkStore.Listen(ctx) }); err != nil {
		return nil, err
	}
	keys := auth.NewStore(rdb)
	var sc stats.Config
	if err := retry("visitor secret", func(ctx context.Context) (err error) {
		sc, err = statsConfig(ctx, cfg.Stats, rdb, embedded, log)
		return err
	}); err != nil {
		return nil, err
	}
	a := &app{}
	var err error
	if cfg.GeoIPDB != "" {
		if a.geo, err = geo.Open(cfg.GeoIPDB); err != nil {
			return nil, fmt.Errorf("geoip_db: %w", err)
		}
		log.Info("geography from GeoIP2 database", "path", cfg.GeoIPDB)
	}
	if a.recorder, err = stats.NewRecorder(rdb, sc, log); err != nil {
		a.close(ctx, cfg, log)
		return nil, err
	}
	a.recorder.Start()
	// Today's visitor key, so that splits and per-visitor limits know
	// visitors from the first scan; Redis answered a moment ago, and if it
	// stops now, the writer's prefetch gets the key later.
	if err := a.recorder.LoadSalt(ctx, time.Now()); err != nil {
		log.Warn("stats: visitor key not loaded yet; splits and per-visitor limits wait for it", "err", err)
	}
	if err := retry("bootstrap key", func(ctx context.Context) (err error) {
		if a.bootstrapKey, err = keys.Bootstrap(ctx); err != nil {
			return err
		}
		a.bootstrapEmail, a.bootstrapToken, err = keys.BootstrapUser(ctx)
		return err
	}); err != nil {
		a.close(ctx, cfg, log)
		return nil, err
	}
	appStore, tokens, sunCodes, launch, err := openApps(cfg, rdb, embedded, log)
	if err != nil {
		a.close(ctx, cfg, log)
		return nil, err
	}
	// Launch links (WeChat URL Links and schemes, Douyin URL Links) are
	// made in the background (4 at a time), swept hourly for renewal; both
	// end with ctx.
	urlLinks := urllinks.New(linkStore, appStore, tokens, launch, 4, log)
	renderSlots := cfg.QR.MaxConcurrentRenders
	if renderSlots == 0 {
		// Every core but one: scans always keep one (measured: p99 of
		// scans 8–17 ms with one render slot of two cores, 28–38 ms with
		// two, under 60 parallel 4096 px renders; scripts/bounds.sh).
		renderSlots = max(1, runtime.GOMAXPROCS(0)-1)
	}
	renders := qr.NewGate(renderSlots)
	openTags := apps.NewOpenTags(appStore, tokens)
	querier := stats.NewQuerier(rdb, sc)
	linkStore.SetRanker(querier) // for sort=scans
	tenantQuotas := quotas(cfg.Quotas)
	linkStore.SetLimits(func(tenant string) links.Limits { return tenantQuotas.Of(tenant).Stored })
	a.api, err = httpapi.New(httpapi.Config{
		PublicBaseURL:     cfg.PublicBaseURL,
		TrustedProxies:    parsePrefixes(cfg.TrustedProxies),
		VerificationFiles: verificationFiles(cfg.VerificationFiles),
		ScanRate:          cfg.RateLimit.Scan,
		APIRatePerMinute:  cfg.RateLimit.API, EventRatePerCode: cfg.RateLimit.EventsPerCode,
		QRUppercase: cfg.QR.Uppercase, MaxConcurrentExports: cfg.QR.MaxConcurrentExports,
		ExportsPerTenant: cfg.QR.ExportsPerTenant, ExportMinRate: cfg.QR.ExportMinRate,
		ReadOnly:     cfg.ReadOnlyFrom != "",
		MetricsToken: cfg.Metrics.Token,
		Quotas:       tenantQuotas,
	}, httpapi.Deps{
		Links: linkStore, Keys: keys, Logger: log, QRCache: qr.NewCache(int64(cfg.QR.CacheBytes), renders), Renders: renders,
		Geo: a.geo, Recorder: a.recorder, Stats: querier,
		Ready: func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		Apps:  appStore, Tokens: tokens, SunCodes: sunCodes, URLLinks: urlLinks, OpenTags: openTags,
	})
	if err != nil {
		a.close(ctx, cfg, log)
		return nil, err
	}
	urlLinks.Called = a.api.CountPlatformCall
	go urlLinks.Run(ctx)
	go urlLinks.RunSweeps(ctx, time.Hour)
	go openTags.Run(ctx)
	go purgeTrash(ctx, linkStore, time.Hour, log)
	return a, nil
}

// close runs after the HTTP requests have drained: every recorded scan
// reaches Redis, or the spool, before the process ends.
func (a *app) close(ctx context.Context, cfg Config, log *slog.Logger) {
	if a.recorder != nil {
		drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
		defer cancel()
		if err := a.recorder.Close(drainCtx); err != nil {
			log.Error("stats: events lost at shutdown", "err", err)
		}
	}
	if a.geo != nil {
		a.geo.Close()
	}
}

// parsePrefixes turns validated proxy entries into prefixes; a bare
// address trusts just itself.
func parsePrefixes(entries []string) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range entries {
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p)
		} else if a, err := netip.ParseAddr(e); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func verificationFiles(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for name, content := range in {
		out[strings.TrimSuffix(name, ".txt")] = content
	}
	return out
}

// quotas turns the configuration's quotas into the API's: each tenant's
// overrides over the defaults.
func quotas(c QuotasConfig) httpapi.Quotas {
	def := httpapi.Limits{APIPerMinute: c.APIPerMinute, BulkRowsPerHour: c.BulkRowsPerHour, ExportsPerHour: c.ExportsPerHour,
		Stored: links.Limits{Links: c.Links, Campaigns: c.Campaigns, Tags: c.Tags}}
	q := httpapi.Quotas{Default: def, Tenants: map[string]httpapi.Limits{}}
	for name, o := range c.Tenants {
		l := def
		for _, f := range []struct {
			to   *int64
			from *int64
		}{
			{&l.APIPerMinute, o.APIPerMinute}, {&l.BulkRowsPerHour, o.BulkRowsPerHour}, {&l.ExportsPerHour, o.ExportsPerHour},
			{&l.Stored.Links, o.Links}, {&l.Stored.Campaigns, o.Campaigns}, {&l.Stored.Tags, o.Tags},
		} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		q.Tenants[name] = l
	}
	return q
}
