package main

import (
	"time"

	"github.com/scangate/scangate/internal/douyin"
	"github.com/scangate/scangate/internal/wechat"
)

// Config is everything the gateway reads at start-up. Every key can be set
// in config.yaml or overridden by SCANGATE_<KEY PATH> (for example
// redis.addrs → SCANGATE_REDIS_ADDRS; lists and maps are comma-separated,
// maps as name=value).
type Config struct {
	Listen string `yaml:"listen"`
	// PublicBaseURL is what QR codes encode; empty means the local listen
	// address (http://localhost:8080 by default), fine for trying it out.
	PublicBaseURL     string            `yaml:"public_base_url"`
	Redis             RedisConfig       `yaml:"redis"`
	GeoIPDB           string            `yaml:"geoip_db"`
	TrustedProxies    []string          `yaml:"trusted_proxies"`
	RateLimit         RateLimitConfig   `yaml:"rate_limit"`
	Cache             CacheConfig       `yaml:"cache"`
	Links             LinksConfig       `yaml:"links"`
	VerificationFiles map[string]string `yaml:"verification_files"`
	QR                QRConfig          `yaml:"qr"`
	Stats             StatsConfig       `yaml:"stats"`
	Log               LogConfig         `yaml:"log"`
	HTTP              HTTPConfig        `yaml:"http"`
	// Secrets holds the key that seals platform secrets at rest.
	Secrets SecretsConfig `yaml:"secrets"`
	// Platforms are the WeChat and Douyin APIs the gateway calls for the
	// tenants' registered apps.
	Platforms PlatformsConfig `yaml:"platforms"`
	// Quotas bound what each tenant spends of what tenants share.
	Quotas QuotasConfig `yaml:"quotas"`
	// Metrics says where Prometheus reads /metrics, which tells routes,
	// latencies and scan counts: never to anyone.
	Metrics MetricsConfig `yaml:"metrics"`
	// DebugListen serves Go's profiler (/debug/pprof/) on a separate
	// address, for finding what a scan costs under load. Empty: off. Keep
	// it on loopback or a private network: profiles show internals.
	DebugListen string `yaml:"debug_listen"`
	// ReadOnlyFrom is serve --links-from: the export scans answer from, in
	// the embedded store, writes refused. Not a configuration key.
	ReadOnlyFrom string `yaml:"-"`
}

// SecretsConfig: Key is 32 bytes of base64 (openssl rand -base64 32). With
// a real Redis and no key, platform secrets cannot be stored; the embedded
// quick start makes one for its run.
type SecretsConfig struct {
	Key string `yaml:"key"`
}

// LinksConfig: how long a deleted link stays in the trash, restorable.
type LinksConfig struct {
	TrashDays int `yaml:"trash_days"`
}

// PlatformsConfig says where each platform's API is (a proxy, or a test's
// fake) and how long a call may take. Nothing a tenant writes can choose a
// host.
type PlatformsConfig struct {
	WeChat  PlatformConfig `yaml:"wechat"`
	Douyin  PlatformConfig `yaml:"douyin"`
	Timeout time.Duration  `yaml:"timeout"`
}

// PlatformConfig is one platform's API base URL.
type PlatformConfig struct {
	APIBase string `yaml:"api_base"`
}

// RedisConfig says where the store is. No address means the embedded
// in-process store (quick start only: data lives in memory).
type RedisConfig struct {
	Addrs    []string `yaml:"addrs"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	Master   string   `yaml:"master"`
	DB       int      `yaml:"db"`
	TLS      bool     `yaml:"tls"`
}

// RateLimitConfig limits per client address; 0 turns a limit off.
type RateLimitConfig struct {
	Scan float64 `yaml:"scan"` // per second on /s/
	API  float64 `yaml:"api"`  // per minute on the public API
	// EventsPerCode limits the public opens reported for one link, per
	// second on each instance.
	EventsPerCode float64 `yaml:"events_per_code"`
}

// CacheConfig tunes the scan path's link cache.
type CacheConfig struct {
	TTL         time.Duration `yaml:"ttl"`
	NegativeTTL time.Duration `yaml:"negative_ttl"`
	MaxEntries  int           `yaml:"max_entries"`
}

// QuotasConfig are every tenant's quotas (0: no limit), and some
// tenants' own, which replace those they name.
type QuotasConfig struct {
	APIPerMinute    int64                     `yaml:"api_per_minute"`
	BulkRowsPerHour int64                     `yaml:"bulk_rows_per_hour"`
	ExportsPerHour  int64                     `yaml:"exports_per_hour"`
	Links           int64                     `yaml:"links"`
	Campaigns       int64                     `yaml:"campaigns"`
	Tags            int64                     `yaml:"tags"`
	Tenants         map[string]QuotaOverrides `yaml:"tenants"`
}

// QuotaOverrides are one tenant's own quotas; an omitted one is the
// default.
type QuotaOverrides struct {
	APIPerMinute    *int64 `yaml:"api_per_minute"`
	BulkRowsPerHour *int64 `yaml:"bulk_rows_per_hour"`
	ExportsPerHour  *int64 `yaml:"exports_per_hour"`
	Links           *int64 `yaml:"links"`
	Campaigns       *int64 `yaml:"campaigns"`
	Tags            *int64 `yaml:"tags"`
}

// MetricsConfig protects /metrics: a listen address of its own (keep it
// private), or a bearer token on the main one. With neither, /metrics is
// not served.
type MetricsConfig struct {
	Listen string `yaml:"listen"`
	Token  string `yaml:"token"`
}

// QRConfig tunes QR code images and batch export.
type QRConfig struct {
	// CacheBytes bounds the memory of rendered images kept for repeat
	// requests (0 keeps none).
	CacheBytes int `yaml:"cache_bytes"`
	// Uppercase is the default of the uppercase option: the URL in upper
	// case, for a smaller symbol.
	Uppercase bool `yaml:"uppercase"`
	// MaxConcurrentExports bounds the batch exports running at once.
	MaxConcurrentExports int `yaml:"max_concurrent_exports"`
	// ExportsPerTenant bounds one tenant's exports running at once, so
	// that one tenant cannot hold every slot.
	ExportsPerTenant int `yaml:"exports_per_tenant"`
	// ExportMinRate (bytes per second) is the slowest a client may take an
	// export, on average after its first 30 seconds; slower ones are cut.
	ExportMinRate int `yaml:"export_min_rate"`
	// MaxConcurrentRenders bounds the images over 1024 px drawn at once,
	// single images and exports together (0: one per core but one, and at
	// least one).
	MaxConcurrentRenders int `yaml:"max_concurrent_renders"`
}

// StatsConfig tunes scan analytics.
type StatsConfig struct {
	// Timezone (IANA) whose days the daily counters follow.
	Timezone string `yaml:"timezone"`
	// RetentionDays keeps per-day counters; HourlyRetentionDays the hourly
	// detail that other time zones' days are summed from.
	RetentionDays       int `yaml:"retention_days"`
	HourlyRetentionDays int `yaml:"hourly_retention_days"`
	// VisitorSecret keys the daily hash of address and User-Agent that
	// counts unique visitors. Empty: one is generated and kept in Redis.
	VisitorSecret string `yaml:"visitor_secret"`
	// The raw event stream for events.csv: at most this many entries per
	// tenant, and this many days.
	StreamMaxLen     int `yaml:"stream_max_len"`
	StreamMaxAgeDays int `yaml:"stream_max_age_days"`
	// QueueSize bounds the events waiting in memory for the writer.
	QueueSize int `yaml:"queue_size"`
	// SpoolDir is where events wait on disk while Redis cannot take them
	// (an outage, a failover), to be written in order once it can, and
	// after a restart. One directory per gateway process. Empty: no spool
	// (events beyond the queue are dropped and counted).
	SpoolDir string `yaml:"spool_dir"`
	// SpoolMaxBytes bounds the spool on disk; beyond it events are dropped
	// and counted.
	SpoolMaxBytes int `yaml:"spool_max_bytes"`
}

// LogConfig chooses the log's level and format.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// HTTPConfig holds the server's timeouts.
type HTTPConfig struct {
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	IdleTimeout     time.Duration `yaml:"idle_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// DefaultConfig is the configuration with nothing set: the quick start.
func DefaultConfig() Config {
	return Config{
		Listen:    ":8080",
		RateLimit: RateLimitConfig{Scan: 50, API: 120, EventsPerCode: 50},
		Cache:     CacheConfig{TTL: 10 * time.Second, NegativeTTL: 2 * time.Second, MaxEntries: 100_000},
		Links:     LinksConfig{TrashDays: 30},
		QR:        QRConfig{CacheBytes: 64 << 20, MaxConcurrentExports: 2, ExportsPerTenant: 1, ExportMinRate: 64 << 10},
		Quotas: QuotasConfig{APIPerMinute: 1200, BulkRowsPerHour: 100_000, ExportsPerHour: 60,
			Links: 250_000, Campaigns: 2_000, Tags: 2_000},
		Log: LogConfig{Level: "info", Format: "text"},
		Platforms: PlatformsConfig{
			WeChat:  PlatformConfig{APIBase: wechat.DefaultBase},
			Douyin:  PlatformConfig{APIBase: douyin.DefaultBase},
			Timeout: 5 * time.Second,
		},
		Stats: StatsConfig{
			Timezone: "UTC", RetentionDays: 400, HourlyRetentionDays: 30,
			StreamMaxLen: 1_000_000, StreamMaxAgeDays: 30, QueueSize: 65_536,
			SpoolDir: "data/spool", SpoolMaxBytes: 1 << 30,
		},
		HTTP: HTTPConfig{
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    60 * time.Second, // batch exports stream for a while
			IdleTimeout:     120 * time.Second,
			ShutdownTimeout: 15 * time.Second,
		},
	}
}
