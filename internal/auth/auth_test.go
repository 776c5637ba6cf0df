package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/scangate/scangate/internal/redistest"
)

var redisSrv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{}, &redisSrv) }

func TestCreateAuthenticateRevoke(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	s := NewStore(rdb)
	secret, k, err := s.Create(ctx, "acme", RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sgk_") || len(secret) != 47 {
		t.Errorf("secret %q: want sgk_ and 43 characters", secret)
	}
	// Only the hash is stored: the secret appears nowhere in Redis.
	for _, v := range rdb.HGetAll(ctx, keysKey()).Val() {
		if strings.Contains(v, secret) || strings.Contains(v, secret[4:]) {
			t.Fatalf("stored record contains the secret: %s", v)
		}
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil || got.Tenant != "acme" || got.Role != RoleViewer || got.ID != k.ID {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	// The last character changed to another one (the secret is random, so
	// a fixed replacement would sometimes be the same character).
	last := "x"
	if strings.HasSuffix(secret, last) {
		last = "y"
	}
	for _, bad := range []string{"", "sgk_", secret[:len(secret)-1] + last, "Bearer " + secret, strings.ToUpper(secret)} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Authenticate(%q) err = %v, want ErrUnauthorized", bad, err)
		}
	}
	if err := s.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Authenticate after Revoke err = %v", err)
	}
	if err := s.Revoke(ctx, k.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Revoke err = %v, want ErrNotFound", err)
	}
}

func TestCreateRejects(t *testing.T) {
	s := NewStore(redisSrv.Client(t))
	for _, tc := range []struct {
		tenant string
		role   Role
	}{{"", RoleAdmin}, {"Acme", RoleAdmin}, {"a{b}", RoleAdmin}, {strings.Repeat("a", 65), RoleAdmin}, {"acme", "root"}} {
		if _, _, err := s.Create(context.Background(), tc.tenant, tc.role); !errors.Is(err, ErrInvalid) {
			t.Errorf("Create(%q, %q) err = %v, want ErrInvalid", tc.tenant, tc.role, err)
		}
	}
}

func TestBootstrapOnceOnEmptyStore(t *testing.T) {
	ctx := context.Background()
	s := NewStore(redisSrv.Client(t))
	var wg sync.WaitGroup
	secrets := make([]string, 8)
	for i := range secrets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sec, err := s.Bootstrap(ctx)
			if err != nil {
				t.Error(err)
			}
			secrets[i] = sec
		}()
	}
	wg.Wait()
	var created []string
	for _, sec := range secrets {
		if sec != "" {
			created = append(created, sec)
		}
	}
	if len(created) != 1 {
		t.Fatalf("concurrent Bootstrap created %d keys, want 1", len(created))
	}
	k, err := s.Authenticate(ctx, created[0])
	if err != nil || k.Tenant != DefaultTenant || k.Role != RoleAdmin {
		t.Fatalf("bootstrap key = %+v, %v; want default admin", k, err)
	}
	if sec, err := s.Bootstrap(ctx); sec != "" || err != nil {
		t.Fatalf("Bootstrap with a key present = %q, %v; want nothing", sec, err)
	}
	keys, _ := s.List(ctx)
	if len(keys) != 1 {
		t.Fatalf("List = %d keys, want 1", len(keys))
	}
}

// TestRestore: a key record from a backup authenticates its secret again;
// restoring it twice changes nothing; a malformed record is refused.
func TestRestore(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	s := NewStore(rdb)
	secret, k, err := s.Create(ctx, "acme", RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	rdb.FlushAll(ctx)
	if changed, err := s.Restore(ctx, k); err != nil || !changed {
		t.Fatalf("Restore = %v, %v", changed, err)
	}
	if got, err := s.Authenticate(ctx, secret); err != nil || got.Tenant != "acme" || got.Role != RoleViewer {
		t.Errorf("the restored key authenticates as %+v, %v", got, err)
	}
	if changed, err := s.Restore(ctx, k); err != nil || changed {
		t.Errorf("a second Restore = %v, %v; want nothing changed", changed, err)
	}
	bad := k
	bad.ID = "000000000000"
	if _, err := s.Restore(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("a record whose id is not its hash's: %v, want ErrInvalid", err)
	}
}

// countingHook counts the commands a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestUnknownKeysCostNoRead: a made-up key is looked up once; repeating it
// costs no Redis read until the memory of it lapses.
func TestUnknownKeysCostNoRead(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	hook := &countingHook{}
	rdb.AddHook(hook)
	s := NewStore(rdb)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	bogus := "sgk_" + strings.Repeat("A", secretLen)
	for range 100 {
		if _, err := s.Authenticate(ctx, bogus); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("Authenticate(bogus) = %v", err)
		}
	}
	if n := hook.n.Load(); n != 1 {
		t.Errorf("100 tries of one unknown key sent %d commands, want 1", n)
	}
	now = now.Add(unknownFor)
	s.Authenticate(ctx, bogus)
	if n := hook.n.Load(); n != 2 {
		t.Errorf("after %v the key was not looked up again (%d commands)", unknownFor, n)
	}
}
