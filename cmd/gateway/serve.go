package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/httpapi"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/stats"
)

func serve(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cfg, _, err := commandConfig("serve", args, environ, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)

	rdb, closeRedis, err := openRedis(ctx, cfg.Redis, log)
	if err != nil {
		return err
	}
	defer closeRedis()

	linkStore := links.NewStore(rdb, links.Options{
		CacheTTL: cfg.Cache.TTL, NegativeTTL: cfg.Cache.NegativeTTL, CacheSize: cfg.Cache.MaxEntries,
	})
	if err := linkStore.Listen(ctx); err != nil {
		return err
	}
	keys := auth.NewStore(rdb)

	sc, err := statsConfig(ctx, cfg.Stats, rdb, log)
	if err != nil {
		return err
	}
	var geo *stats.GeoIP // nil: no geography
	if cfg.GeoIPDB != "" {
		if geo, err = stats.OpenGeoIP(cfg.GeoIPDB); err != nil {
			return fmt.Errorf("geoip_db: %w", err)
		}
		defer geo.Close()
		log.Info("geography from GeoIP2 database", "path", cfg.GeoIPDB)
	}
	recorder, err := stats.NewRecorder(rdb, sc, geo, log)
	if err != nil {
		return err
	}
	recorder.Start()
	// Deferred after the store and before the server exists, so it runs
	// after the HTTP requests have drained: every recorded scan reaches
	// Redis before the connection closes.
	defer func() {
		drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
		defer cancel()
		if err := recorder.Close(drainCtx); err != nil {
			log.Error("stats: events lost at shutdown", "err", err)
		}
	}()
	bootstrapKey, err := keys.Bootstrap(ctx)
	if err != nil {
		return err
	}

	// Listen before serving, so a taken port fails here and not in a
	// goroutine.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	defer ln.Close()
	local := localURL(ln.Addr())
	if cfg.PublicBaseURL == "" {
		cfg.PublicBaseURL = local
	}

	api, err := httpapi.New(httpapi.Config{
		PublicBaseURL:     cfg.PublicBaseURL,
		TrustedProxies:    parsePrefixes(cfg.TrustedProxies),
		VerificationFiles: verificationFiles(cfg.VerificationFiles),
		ScanRate:          cfg.RateLimit.Scan,
		APIRatePerMinute:  cfg.RateLimit.API,
		QRUppercase:       cfg.QR.Uppercase, MaxConcurrentExports: cfg.QR.MaxConcurrentExports,
	}, httpapi.Deps{
		Links: linkStore, Keys: keys, Logger: log, QRCache: qr.NewCache(int64(cfg.QR.CacheBytes)),
		Recorder: recorder, Stats: stats.NewQuerier(rdb, sc),
		Ready: func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
	})
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           api.Handler(),
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		ReadHeaderTimeout: cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	log.Info("listening", "addr", ln.Addr().String(), "url", local, "public_base_url", cfg.PublicBaseURL)
	printWelcome(stdout, local, bootstrapKey)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests", "timeout", cfg.HTTP.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func newLogger(cfg LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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

func localURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printWelcome tells a first-time user where the gateway is and, when it
// just created the admin key, how to use it.
func printWelcome(w io.Writer, base, key string) {
	fmt.Fprintf(w, "ScanGate is listening on %s\n", base)
	if key == "" {
		return
	}
	fmt.Fprintf(w, `
Admin API key for tenant "default" (shown only now; keep it):
  %[2]s

Create a link and scan it:
  curl -s -X POST %[1]s/api/v1/links -H 'Authorization: Bearer %[2]s' -H 'Content-Type: application/json' \
    -d '{"code":"hello","targets":{"web":{"url":"https://example.com/"}}}'
  curl -si %[1]s/s/hello
`, base, key)
}
