package main

import (
	"strings"
	"testing"
)

func TestQRConfig(t *testing.T) {
	cfg, err := LoadConfig("", []string{
		"SCANGATE_QR_CACHE_BYTES=1024", "SCANGATE_QR_UPPERCASE=true", "SCANGATE_QR_MAX_CONCURRENT_EXPORTS=4",
		"SCANGATE_PUBLIC_BASE_URL=https://gw.example.com/",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (QRConfig{CacheBytes: 1024, Uppercase: true, MaxConcurrentExports: 4, ExportsPerTenant: 1, ExportMinRate: 64 << 10}); cfg.QR != want {
		t.Errorf("QR = %+v, want %+v", cfg.QR, want)
	}
	for _, tt := range []struct {
		name    string
		env     []string
		mention string
	}{
		{"negative cache", []string{"SCANGATE_QR_CACHE_BYTES=-1"}, "qr.cache_bytes:"},
		{"no exports", []string{"SCANGATE_QR_MAX_CONCURRENT_EXPORTS=0"}, "qr.max_concurrent_exports:"},
		{"no exports per tenant", []string{"SCANGATE_QR_EXPORTS_PER_TENANT=0"}, "qr.exports_per_tenant:"},
		{"negative renders", []string{"SCANGATE_QR_MAX_CONCURRENT_RENDERS=-1"}, "qr.max_concurrent_renders:"},
		{"negative quota", []string{"SCANGATE_QUOTAS_API_PER_MINUTE=-1"}, "quotas.api_per_minute:"},
		{"upper case of a base with a path", []string{"SCANGATE_QR_UPPERCASE=true", "SCANGATE_PUBLIC_BASE_URL=https://example.com/go"}, "qr.uppercase:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig("", tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("LoadConfig error = %v, want one mentioning %q", err, tt.mention)
			}
		})
	}
}

func TestQuotaConfig(t *testing.T) {
	cfg, err := LoadConfig("", []string{"SCANGATE_QUOTAS_API_PER_MINUTE=5", "SCANGATE_QUOTAS_EXPORTS_PER_HOUR=0"})
	if err != nil {
		t.Fatal(err)
	}
	q := quotas(cfg.Quotas)
	if q.Default.APIPerMinute != 5 || q.Default.ExportsPerHour != 0 || q.Default.BulkRowsPerHour != 100_000 {
		t.Errorf("quotas from the environment = %+v", q.Default)
	}
	six := int64(6000)
	cfg.Quotas.Tenants = map[string]QuotaOverrides{"acme": {APIPerMinute: &six}}
	if l := quotas(cfg.Quotas).Tenants["acme"]; l.APIPerMinute != 6000 || l.BulkRowsPerHour != 100_000 {
		t.Errorf("acme's quotas = %+v, want its api_per_minute over the defaults", l)
	}
}
