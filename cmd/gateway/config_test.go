package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestLoadConfigFile(t *testing.T) {
	cfg, err := LoadConfig("testdata/full.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Listen = "127.0.0.1:9090"
	want.PublicBaseURL = "https://gw.example.com"
	want.Redis.Addrs = []string{"10.0.0.1:6379", "10.0.0.2:6379"}
	want.Redis.Password = "secret"
	want.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.1"}
	want.RateLimit = RateLimitConfig{Scan: 20, API: 60, EventsPerCode: 50}
	want.Cache.TTL = 5 * time.Second
	want.VerificationFiles = map[string]string{"MP_verify_abc.txt": "abc"}
	want.Log = LogConfig{Level: "debug", Format: "json"}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("LoadConfig (-want +got):\n%s", diff)
	}
}

func TestEnvOverridesEveryKind(t *testing.T) {
	cfg, err := LoadConfig("testdata/full.yaml", []string{
		"SCANGATE_LISTEN=:7070",
		"SCANGATE_REDIS_ADDRS=a:1, b:2,c:3",
		"SCANGATE_REDIS_MASTER=mymaster",
		"SCANGATE_RATE_LIMIT_SCAN=0",
		"SCANGATE_CACHE_NEGATIVE_TTL=750ms",
		"SCANGATE_REDIS_TLS=true",
		"SCANGATE_VERIFICATION_FILES=a=1,b=2",
		"SCANGATE_CONFIG=ignored-here",
		"PATH=/usr/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != ":7070" || !cmp.Equal(cfg.Redis.Addrs, []string{"a:1", "b:2", "c:3"}) || cfg.Redis.Master != "mymaster" ||
		cfg.RateLimit.Scan != 0 || cfg.Cache.NegativeTTL != 750*time.Millisecond || !cfg.Redis.TLS ||
		!cmp.Equal(cfg.VerificationFiles, map[string]string{"a": "1", "b": "2"}) {
		t.Errorf("env overrides not applied: %+v", cfg)
	}
}

func TestConfigErrorsNameTheirKeys(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string
		env     []string
		mention []string
	}{
		{"unknown yaml key", "testdata/unknown-key.yaml", nil, []string{"adress"}},
		{"every bad value at once", "testdata/bad-values.yaml", nil, []string{
			"listen:", "public_base_url:", "redis.master:", "trusted_proxies:", "rate_limit.scan:", "log.level:"}},
		{"unknown env var", "", []string{"SCANGATE_REDIS_ADDR=x:1"}, []string{"SCANGATE_REDIS_ADDR: unknown"}},
		{"bad env value", "", []string{"SCANGATE_CACHE_TTL=soon", "SCANGATE_REDIS_DB=one"}, []string{"SCANGATE_CACHE_TTL", "SCANGATE_REDIS_DB"}},
		{"missing file", "testdata/none.yaml", nil, []string{"none.yaml"}},
		{"debug address without a port", "", []string{"SCANGATE_DEBUG_LISTEN=localhost"}, []string{"debug_listen:"}},
		{"debug address on every interface", "", []string{"SCANGATE_DEBUG_LISTEN=:6060"}, []string{"debug_listen:"}},
		{"debug address on every IPv4 interface", "", []string{"SCANGATE_DEBUG_LISTEN=0.0.0.0:6060"}, []string{"debug_listen:"}},
		{"secrets key too short", "", []string{"SCANGATE_SECRETS_KEY=c2hvcnQ="}, []string{"secrets.key:"}},
		{"platform base not a URL", "", []string{"SCANGATE_PLATFORMS_WECHAT_API_BASE=api.weixin.qq.com",
			"SCANGATE_PLATFORMS_DOUYIN_API_BASE=ftp://open.douyin.com"}, []string{"platforms.wechat.api_base:", "platforms.douyin.api_base:"}},
		{"platform timeout", "", []string{"SCANGATE_PLATFORMS_TIMEOUT=0s"}, []string{"platforms.timeout:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(tc.path, tc.env)
			if err == nil {
				t.Fatal("LoadConfig succeeded, want an error")
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error does not mention %q:\n%v", m, err)
				}
			}
		})
	}
}

func TestDefaultsAreValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	// The shipped config.yaml documents the defaults; loading it must give
	// exactly them.
	got, err := LoadConfig("../../config.yaml", nil)
	if err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	if diff := cmp.Diff(DefaultConfig(), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("config.yaml differs from DefaultConfig (-default +file):\n%s", diff)
	}
}
