package apps

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/redistest"
)

var redisSrv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{}, &redisSrv) }

const (
	wxApp    = "wx1234567890abcdef"
	wxSecret = "0123456789abcdef0123456789abcdef"
	ttApp    = "tt1234567890abcdef"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	key, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(redisSrv.Client(t), sealer)
	s.now = func() time.Time { return time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC) }
	return s
}

func TestPutGetListDelete(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	a, err := s.Put(ctx, "acme", WeChat, wxApp, Input{Secret: wxSecret, ServiceAppID: "wxabcdefabcdefabcd",
		ServiceSecret: "service-secret-value", ServiceDomain: "m.acme.cn"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Tenant != "acme" || !a.SecretSet || !a.ServiceSecretSet || a.ServiceDomain != "m.acme.cn" || a.State != StateUnchecked {
		t.Errorf("Put = %+v", a)
	}
	if _, err := s.Put(ctx, "acme", Douyin, ttApp, Input{Secret: "douyin-secret"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, "acme")
	if err != nil || len(list) != 2 || list[0].Platform != Douyin || list[1].AppID != wxApp {
		t.Fatalf("List = %+v, %v; want the Douyin app then the WeChat one", list, err)
	}
	if got, err := s.Secret(ctx, "acme", WeChat, wxApp); err != nil || got != wxSecret {
		t.Errorf("Secret = %q, %v", got, err)
	}

	// Another tenant sees nothing of it, and cannot take it.
	if _, err := s.Get(ctx, "other", WeChat, wxApp); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's Get err = %v, want ErrNotFound", err)
	}
	if _, err := s.Secret(ctx, "other", WeChat, wxApp); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's Secret err = %v, want ErrNotFound", err)
	}
	if _, err := s.Put(ctx, "other", WeChat, wxApp, Input{Secret: "x"}); !errors.Is(err, ErrTaken) {
		t.Errorf("another tenant's Put err = %v, want ErrTaken", err)
	}
	if err := s.Delete(ctx, "other", WeChat, wxApp); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's Delete err = %v, want ErrNotFound", err)
	}
	if list, _ := s.List(ctx, "other"); len(list) != 0 {
		t.Errorf("another tenant's List = %+v", list)
	}

	// A new PUT without the service account drops it, and is unchecked again.
	if _, err := s.RecordCheck(ctx, "acme", WeChat, wxApp, Check{OK: false, Code: 40125, Message: "invalid appsecret",
		At: s.now(), NextCheck: s.now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Get(ctx, "acme", WeChat, wxApp); a.State != StateError || a.ErrorCode != 40125 || !a.NextCheck.Equal(s.now().Add(time.Minute)) {
		t.Errorf("after a refused check: %+v", a)
	}
	a, err = s.Put(ctx, "acme", WeChat, wxApp, Input{Secret: "fedcba9876543210fedcba9876543210"})
	if err != nil || a.ServiceAppID != "" || a.ServiceSecretSet || a.State != StateUnchecked || a.ErrorCode != 0 {
		t.Errorf("second Put = %+v, %v", a, err)
	}

	if err := s.Delete(ctx, "acme", WeChat, wxApp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "acme", WeChat, wxApp); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete err = %v", err)
	}
	// Deleted, the app id is free for another tenant.
	if _, err := s.Put(ctx, "other", WeChat, wxApp, Input{Secret: wxSecret}); err != nil {
		t.Errorf("Put by another tenant after Delete: %v", err)
	}
}

// TestSecretsNeverInClear: no Redis key or value holds a secret.
func TestSecretsNeverInClear(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	secrets := []string{wxSecret, "service-secret-value"}
	if _, err := s.Put(ctx, "acme", WeChat, wxApp, Input{Secret: secrets[0], ServiceAppID: "wxabcdefabcdefabcd",
		ServiceSecret: secrets[1], ServiceDomain: "m.acme.cn"}); err != nil {
		t.Fatal(err)
	}
	rdb := s.rdb
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	for _, k := range keys {
		var values []string
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				values = append(values, f, v)
			}
		case "set":
			values = rdb.SMembers(ctx, k).Val()
		case "string":
			values = []string{rdb.Get(ctx, k).Val()}
		default:
			t.Fatalf("key %s of type %s: check it too", k, typ)
		}
		for _, v := range append(values, k) {
			for _, sec := range secrets {
				if strings.Contains(v, sec) {
					t.Errorf("key %s holds a secret in clear", k)
				}
			}
		}
	}
	// A copy of the record under another app id does not decrypt there.
	h := rdb.HGetAll(ctx, appKey(WeChat, wxApp)).Val()
	other := "wx0000000000000000"
	rdb.HSet(ctx, appKey(WeChat, other), h)
	if got, err := s.Secret(ctx, "acme", WeChat, other); err == nil {
		t.Errorf("a secret copied to another app opened there: %q", got)
	}
}

func TestPutRefuses(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	for _, tc := range []struct {
		name, platform, appID string
		in                    Input
		field                 string
	}{
		{"unknown platform", "alipay", wxApp, Input{Secret: "s"}, "platform"},
		{"bad WeChat app id", WeChat, "wx123", Input{Secret: "s"}, "appid"},
		{"upper-case app id", WeChat, "wx1234567890ABCDEF", Input{Secret: "s"}, "appid"},
		{"bad Douyin app id", Douyin, wxApp, Input{Secret: "s"}, "appid"},
		{"no secret", WeChat, wxApp, Input{}, "secret"},
		{"secret with a space", WeChat, wxApp, Input{Secret: "a b"}, "secret"},
		{"long secret", WeChat, wxApp, Input{Secret: strings.Repeat("a", maxSecret+1)}, "secret"},
		{"service account on Douyin", Douyin, ttApp, Input{Secret: "s", ServiceAppID: wxApp}, "service_appid"},
		{"service account without domain", WeChat, wxApp, Input{Secret: "s", ServiceAppID: "wxabcdefabcdefabcd", ServiceSecret: "x"}, "service_domain"},
		{"domain with a scheme", WeChat, wxApp, Input{Secret: "s", ServiceAppID: "wxabcdefabcdefabcd", ServiceSecret: "x", ServiceDomain: "https://m.acme.cn"}, "service_domain"},
		{"service account without secret", WeChat, wxApp, Input{Secret: "s", ServiceAppID: "wxabcdefabcdefabcd", ServiceDomain: "m.acme.cn"}, "service_secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Put(ctx, "acme", tc.platform, tc.appID, tc.in)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field() != tc.field || !errors.Is(err, ErrInvalid) {
				t.Errorf("Put err = %v, want an invalid %s", err, tc.field)
			}
		})
	}
	if list, _ := s.List(ctx, "acme"); len(list) != 0 {
		t.Errorf("refused Puts stored %+v", list)
	}
	noKey := NewStore(s.rdb, nil)
	if _, err := noKey.Put(ctx, "acme", WeChat, wxApp, Input{Secret: wxSecret}); !errors.Is(err, ErrNoKey) {
		t.Errorf("Put without a secrets key err = %v, want ErrNoKey", err)
	}
}
