package main

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/auth"
)

// validate reports every problem at once, each naming its key.
func (c *Config) validate() error {
	var p []string
	add := func(key, format string, args ...any) { p = append(p, key+": "+fmt.Sprintf(format, args...)) }

	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", "want host:port or :port, got %q", c.Listen)
	}
	if c.DebugListen != "" {
		// Profiles show internals and cost CPU: never on every interface.
		host, _, err := net.SplitHostPort(c.DebugListen)
		ip, perr := netip.ParseAddr(host)
		if err != nil || host == "" || (perr == nil && ip.IsUnspecified()) {
			add("debug_listen", "want a private host:port, like 127.0.0.1:6060 (not every interface), got %q", c.DebugListen)
		}
	}
	if c.Secrets.Key != "" {
		if _, err := apps.ParseKey(c.Secrets.Key); err != nil {
			add("secrets.key", "want 32 bytes, base64-encoded (openssl rand -base64 32)")
		}
	}
	for key, base := range map[string]string{"platforms.wechat.api_base": c.Platforms.WeChat.APIBase,
		"platforms.douyin.api_base": c.Platforms.Douyin.APIBase} {
		if !validBaseURL(base) {
			add(key, "want an absolute http(s) URL without query, got %q", base)
		}
	}
	if c.Platforms.Timeout <= 0 || c.Platforms.Timeout > apps.MaxCallTimeout {
		add("platforms.timeout", "want a duration up to %v (a token fetch holds a lock for %v), got %v",
			apps.MaxCallTimeout, apps.MaxCallTimeout+5*time.Second, c.Platforms.Timeout)
	}
	if c.PublicBaseURL != "" && !validBaseURL(c.PublicBaseURL) {
		add("public_base_url", "want an absolute http(s) URL without query, like https://gw.example.com, got %q", c.PublicBaseURL)
	}
	for _, a := range c.Redis.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			add("redis.addrs", "want host:port, got %q", a)
		}
	}
	if c.Redis.Master != "" && len(c.Redis.Addrs) == 0 {
		add("redis.master", "Sentinel needs the sentinels' addresses in redis.addrs")
	}
	if c.Redis.DB < 0 || c.Redis.DB > 15 {
		add("redis.db", "want 0 to 15, got %d", c.Redis.DB)
	}
	if c.Redis.DB != 0 && len(c.Redis.Addrs) > 1 && c.Redis.Master == "" {
		add("redis.db", "a Redis Cluster has only database 0")
	}
	for _, tp := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(tp); err != nil {
			if _, err := netip.ParseAddr(tp); err != nil {
				add("trusted_proxies", "want a CIDR like 10.0.0.0/8 or an address, got %q", tp)
			}
		}
	}
	if c.RateLimit.Scan < 0 {
		add("rate_limit.scan", "want 0 (off) or more, got %v", c.RateLimit.Scan)
	}
	if c.RateLimit.API < 0 {
		add("rate_limit.api", "want 0 (off) or more, got %v", c.RateLimit.API)
	}
	if c.RateLimit.EventsPerCode < 0 {
		add("rate_limit.events_per_code", "want 0 (off) or more, got %v", c.RateLimit.EventsPerCode)
	}
	if c.Links.TrashDays < 1 || c.Links.TrashDays > 3650 {
		add("links.trash_days", "want 1 to 3650 days, got %d", c.Links.TrashDays)
	}
	if c.Cache.TTL <= 0 {
		add("cache.ttl", "want a positive duration, got %v", c.Cache.TTL)
	}
	if c.Cache.NegativeTTL <= 0 {
		add("cache.negative_ttl", "want a positive duration, got %v", c.Cache.NegativeTTL)
	}
	if c.Cache.MaxEntries < 1 {
		add("cache.max_entries", "want at least 1, got %d", c.Cache.MaxEntries)
	}
	for name, content := range c.VerificationFiles {
		if !verificationName.MatchString(strings.TrimSuffix(name, ".txt")) {
			add("verification_files", "file name %q: want letters, digits, '_' and '-' (with or without .txt)", name)
		}
		if len(content) > 4096 {
			add("verification_files", "file %q: content over 4 KiB", name)
		}
	}
	if c.QR.CacheBytes < 0 {
		add("qr.cache_bytes", "want 0 (no cache) or more, got %d", c.QR.CacheBytes)
	}
	checkQuota := func(key string, v int64) {
		if v < 0 {
			add(key, "want 0 (no limit) or more, got %d", v)
		}
	}
	checkQuota("quotas.api_per_minute", c.Quotas.APIPerMinute)
	checkQuota("quotas.bulk_rows_per_hour", c.Quotas.BulkRowsPerHour)
	checkQuota("quotas.exports_per_hour", c.Quotas.ExportsPerHour)
	checkQuota("quotas.links", c.Quotas.Links)
	checkQuota("quotas.campaigns", c.Quotas.Campaigns)
	checkQuota("quotas.tags", c.Quotas.Tags)
	for name, o := range c.Quotas.Tenants {
		if !auth.ValidTenant(name) {
			add("quotas.tenants."+name, "not a tenant name")
		}
		for key, v := range map[string]*int64{"api_per_minute": o.APIPerMinute, "bulk_rows_per_hour": o.BulkRowsPerHour,
			"exports_per_hour": o.ExportsPerHour, "links": o.Links, "campaigns": o.Campaigns, "tags": o.Tags} {
			if v != nil {
				checkQuota("quotas.tenants."+name+"."+key, *v)
			}
		}
	}
	if c.Metrics.Token != "" && len(c.Metrics.Token) < 16 {
		add("metrics.token", "want at least 16 characters (it guards the metrics), got %d", len(c.Metrics.Token))
	}
	if c.QR.MaxConcurrentExports < 1 {
		add("qr.max_concurrent_exports", "want at least 1, got %d", c.QR.MaxConcurrentExports)
	}
	if c.QR.ExportsPerTenant < 1 {
		add("qr.exports_per_tenant", "want at least 1, got %d", c.QR.ExportsPerTenant)
	}
	if c.QR.ExportMinRate < 0 {
		add("qr.export_min_rate", "want bytes per second, 0 or more, got %d", c.QR.ExportMinRate)
	}
	if c.QR.MaxConcurrentRenders < 0 {
		add("qr.max_concurrent_renders", "want 0 (one per core) or more, got %d", c.QR.MaxConcurrentRenders)
	}
	if u, err := url.Parse(c.PublicBaseURL); c.QR.Uppercase && err == nil && strings.Trim(u.Path, "/") != "" {
		add("qr.uppercase", "public_base_url has a path (%q), which upper case would change: scanned codes would miss it", u.Path)
	}
	if _, err := time.LoadLocation(c.Stats.Timezone); err != nil || c.Stats.Timezone == "" {
		add("stats.timezone", "want an IANA time zone like Asia/Shanghai or UTC, got %q", c.Stats.Timezone)
	}
	if c.Stats.RetentionDays < 1 || c.Stats.RetentionDays > 3660 {
		add("stats.retention_days", "want 1 to 3660, got %d", c.Stats.RetentionDays)
	}
	if c.Stats.HourlyRetentionDays < 1 || c.Stats.HourlyRetentionDays > c.Stats.RetentionDays {
		add("stats.hourly_retention_days", "want 1 to stats.retention_days, got %d", c.Stats.HourlyRetentionDays)
	}
	if c.Stats.VisitorSecret != "" && len(c.Stats.VisitorSecret) < 32 {
		add("stats.visitor_secret", "want at least 32 characters (e.g. head -c 32 /dev/urandom | base64), or empty")
	}
	if c.Stats.StreamMaxLen < 1000 {
		add("stats.stream_max_len", "want at least 1000, got %d", c.Stats.StreamMaxLen)
	}
	if c.Stats.StreamMaxAgeDays < 1 {
		add("stats.stream_max_age_days", "want at least 1, got %d", c.Stats.StreamMaxAgeDays)
	}
	if c.Stats.SpoolDir != "" && c.Stats.SpoolMaxBytes < 1<<20 {
		add("stats.spool_max_bytes", "want at least 1048576 (1 MiB), got %d", c.Stats.SpoolMaxBytes)
	}
	if c.Stats.QueueSize < 1024 {
		add("stats.queue_size", "want at least 1024, got %d", c.Stats.QueueSize)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", "want text or json, got %q", c.Log.Format)
	}
	for key, d := range map[string]time.Duration{
		"http.read_timeout": c.HTTP.ReadTimeout, "http.write_timeout": c.HTTP.WriteTimeout,
		"http.idle_timeout": c.HTTP.IdleTimeout, "http.shutdown_timeout": c.HTTP.ShutdownTimeout,
	} {
		if d <= 0 {
			add(key, "want a positive duration, got %v", d)
		}
	}
	if len(p) == 0 {
		return nil
	}
	slices.Sort(p)
	return fmt.Errorf("invalid configuration:\n  %s", strings.Join(p, "\n  "))
}

func validBaseURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.RawQuery == "" && u.Fragment == "" && u.User == nil
}
