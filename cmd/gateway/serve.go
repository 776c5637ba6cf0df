package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
)

func serve(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	var linksFrom *string
	cfg, _, err := commandConfig("serve", args, environ, stderr, func(fs *flag.FlagSet) {
		linksFrom = fs.String("links-from", "", "serve scans read-only from this export (gateway export) while the store is gone")
	})
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	if *linksFrom != "" {
		// Disaster recovery: the links of an export, in the embedded store;
		// writes are refused.
		log.Warn("serving from a backup: scans answer from the export, admin writes answer 503, and scans are counted in memory only", "links_from", *linksFrom)
		cfg.Redis = RedisConfig{}
		cfg.ReadOnlyFrom = *linksFrom
	}

	rdb, embedded, closeRedis, err := openRedis(cfg.Redis, log)
	if err != nil {
		return err
	}
	defer closeRedis()

	// Listen first, so a taken port fails here and not in a goroutine, and
	// so that a gateway started while Redis is down answers /healthz (and
	// /readyz: 503, not started) while it waits for it.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (another address: SCANGATE_LISTEN=127.0.0.1:8081, or listen: in config.yaml)", cfg.Listen, err)
	}
	defer ln.Close()
	local := localURL(ln.Addr())
	if cfg.PublicBaseURL == "" {
		cfg.PublicBaseURL = local
	}
	gate := &gateHandler{}
	srv := &http.Server{
		Handler:           gate,
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
	shutdown := func() error {
		log.Info("shutting down: draining requests", "timeout", cfg.HTTP.ShutdownTimeout)
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	}

	if cfg.DebugListen != "" {
		stop, err := serveDebug(cfg.DebugListen, log)
		if err != nil {
			shutdown()
			return err
		}
		defer stop()
	}

	app, err := startApp(ctx, cfg, rdb, embedded, log)
	if err != nil {
		if ctx.Err() != nil {
			return shutdown()
		}
		shutdown()
		return err
	}
	defer app.close(ctx, cfg, log)
	if cfg.Metrics.Listen != "" {
		stop, err := serveMetrics(cfg.Metrics.Listen, app.api.MetricsHandler(), log)
		if err != nil {
			shutdown()
			return err
		}
		defer stop()
	}
	gate.set(app.api)
	printWelcome(stdout, local, app)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	app.api.SetDraining()
	return shutdown()
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

func localURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printWelcome tells a first-time user where the gateway is and, when it
// just created them, how to sign in to the console and use the API key.
func printWelcome(w io.Writer, base string, app *app) {
	fmt.Fprintf(w, "ScanGate is listening on %s\n", base)
	if app.bootstrapToken != "" {
		fmt.Fprintf(w, `
Console: set the password of %s (tenant "default", admin) and sign in:
  %s/console/setup?token=%s
`, app.bootstrapEmail, base, url.QueryEscape(app.bootstrapToken))
	} else {
		fmt.Fprintf(w, "Console: %s/console/\n", base)
	}
	if app.bootstrapKey == "" {
		return
	}
	fmt.Fprintf(w, `
Admin API key for tenant "default" (shown only now; keep it):
  %[2]s

Create a link and scan it as a phone would (scans by bots and scripts,
curl's own User-Agent included, are answered but not counted):
  curl -s -X POST %[1]s/api/v1/links -H 'Authorization: Bearer %[2]s' -H 'Content-Type: application/json' \
    -d '{"code":"hello","targets":{"web":{"url":"https://example.com/"}}}'
  curl -si -A 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148' %[1]s/s/hello
  curl -s %[1]s/api/v1/links/hello/stats -H 'Authorization: Bearer %[2]s'
`, base, app.bootstrapKey)
}
