package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUsersAndPasswords(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	s := NewStore(rdb)
	if _, err := s.CreateUser(ctx, "acme", "Ann@Example.com ", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ tenant, email string }{{"acme", "ann@example.com"}, {"acme", "not an email"}, {"Bad Tenant", "b@example.com"}} {
		if _, err := s.CreateUser(ctx, tc.tenant, tc.email, RoleViewer); err == nil {
			t.Errorf("CreateUser(%q, %q) succeeded", tc.tenant, tc.email)
		}
	}
	// No password yet: no sign-in, whatever is typed.
	if _, err := s.CheckCredentials(ctx, "ann@example.com", ""); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("sign-in before a password = %v", err)
	}
	tok, err := s.SetupToken(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := s.SetupUser(ctx, tok); err != nil || u.Email != "ann@example.com" {
		t.Errorf("SetupUser = %+v, %v", u, err)
	}
	if _, err := s.SetPassword(ctx, tok, "short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a short password = %v, want ErrInvalid", err)
	}
	const pw = "correct horse battery 电池"
	if _, err := s.SetPassword(ctx, tok, pw); err != nil {
		t.Fatalf("SetPassword (the token survives a refused password): %v", err)
	}
	if _, err := s.SetPassword(ctx, tok, pw+"2"); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("a used token = %v, want ErrTokenInvalid", err)
	}
	u, err := s.User(ctx, "ann@example.com")
	if err != nil || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(u.PasswordHash, "horse") {
		t.Errorf("stored hash %q, %v", u.PasswordHash, err)
	}
	for _, raw := range rdb.Keys(ctx, "*").Val() {
		if strings.Contains(raw, tok) {
			t.Errorf("the setup token is stored as it is: %s", raw)
		}
	}
	if got, err := s.CheckCredentials(ctx, "ANN@example.com", pw); err != nil || got.Tenant != "acme" || got.Role != RoleAdmin {
		t.Errorf("sign-in = %+v, %v", got, err)
	}
	for _, tc := range []struct{ email, pw string }{{"ann@example.com", pw + "x"}, {"bob@example.com", pw}, {"ann@example.com", strings.Repeat("x", MaxPasswordLen+1)}} {
		if _, err := s.CheckCredentials(ctx, tc.email, tc.pw); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("CheckCredentials(%s, …) = %v, want ErrBadCredentials", tc.email, err)
		}
	}
	// The hash checked for unknown users is well-formed, so it costs the
	// same as a real one.
	parts := strings.Split(dummyHash, "$")
	salt, _ := base64.RawStdEncoding.DecodeString(parts[4])
	key, _ := base64.RawStdEncoding.DecodeString(parts[5])
	if parts[3] != "m=19456,t=2,p=1" || len(salt) != argonSaltLen || len(key) != argonKeyLen {
		t.Errorf("dummyHash %q: salt %d bytes, key %d", dummyHash, len(salt), len(key))
	}
	if err := s.DisableUser(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckCredentials(ctx, "ann@example.com", pw); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("a disabled user signs in: %v", err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	s := NewStore(rdb)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	u, _ := s.CreateUser(ctx, "acme", "ann@example.com", RoleViewer)
	id1, sess, err := s.StartSession(ctx, u)
	if err != nil || len(id1) != 43 || sess.CSRF == "" || sess.Tenant != "acme" {
		t.Fatalf("StartSession = %q %+v %v", id1, sess, err)
	}
	id2, _, _ := s.StartSession(ctx, u)
	if n, _ := rdb.Exists(ctx, "sg:auth:session:"+id1).Result(); n != 0 {
		t.Error("a session id is stored as it is")
	}
	if got, err := s.Session(ctx, id1); err != nil || got.Email != "ann@example.com" || got.CSRF != sess.CSRF {
		t.Errorf("Session = %+v, %v", got, err)
	}
	if ttl := rdb.TTL(ctx, sessionKey(hashSecret(id1))).Val(); ttl <= SessionIdle-time.Minute {
		t.Errorf("idle expiry %s, want %s", ttl, SessionIdle)
	}
	if err := s.EndSession(ctx, id1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, id1); !errors.Is(err, ErrNoSession) {
		t.Errorf("a signed-out session = %v", err)
	}
	if _, err := s.Session(ctx, id2); err != nil {
		t.Errorf("the other session ended too: %v", err)
	}
	// Past the absolute expiry, however recently used.
	now = now.Add(SessionAbsolute + time.Second)
	if _, err := s.Session(ctx, id2); !errors.Is(err, ErrNoSession) {
		t.Errorf("a session past 7 days = %v", err)
	}
	id3, _, _ := s.StartSession(ctx, u)
	id4, _, _ := s.StartSession(ctx, u)
	if err := s.EndSessions(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{id3, id4} {
		if _, err := s.Session(ctx, id); !errors.Is(err, ErrNoSession) {
			t.Errorf("sign out everywhere left a session: %v", err)
		}
	}
	if _, err := s.Session(ctx, strings.Repeat("x", 100)); !errors.Is(err, ErrNoSession) {
		t.Errorf("a long id = %v", err)
	}
}

func TestSignInThrottle(t *testing.T) {
	ctx := context.Background()
	s := NewStore(redisSrv.Client(t))
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	try := func(addr, email string) time.Duration {
		w, err := s.SignInTry(ctx, addr, email)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	for i := 0; i < freeAccountFailures; i++ {
		if w := try("a1", "ann@example.com"); w != 0 {
			t.Fatalf("try %d: wait %s, want none", i+1, w)
		}
	}
	if w := try("a2", "ann@example.com"); w != 0 {
		t.Errorf("the 6th try (it starts the wait) = %s", w)
	}
	if w := try("a2", "ann@example.com"); w != time.Second {
		t.Errorf("the 7th try at once, from another address: wait %s, want 1s", w)
	}
	now = now.Add(time.Second)
	if w := try("a2", "ann@example.com"); w != 0 {
		t.Errorf("after the wait: %s", w)
	}
	if w := try("a2", "ann@example.com"); w != 2*time.Second {
		t.Errorf("then: wait %s, want 2s (doubling per try)", w)
	}
	if w := try("a1", "bob@example.com"); w != 0 {
		t.Errorf("another account from the same address: wait %s", w)
	}
	// Tries at once are each counted: of 20 concurrent ones past the free
	// tries, at most one goes on.
	passed := make(chan bool, 20)
	for range 20 {
		go func() { w, _ := s.SignInTry(ctx, "a3", "cat@example.com"); passed <- w == 0 }()
	}
	n := 0
	for range 20 {
		if <-passed {
			n++
		}
	}
	if n != freeAccountFailures+1 {
		t.Errorf("%d of 20 concurrent tries went on, want %d", n, freeAccountFailures+1)
	}
	now = now.Add(maxSignInWait)
	s.SignInSucceeded(ctx, "ann@example.com")
	if w := try("a4", "ann@example.com"); w != 0 {
		t.Errorf("after a success: wait %s", w)
	}
	// The account's key is a digest, however long the typed address.
	keys, _ := s.rdb.Keys(ctx, "sg:auth:fail:acct:*").Result()
	for _, k := range keys {
		if len(k) > 64 {
			t.Errorf("throttle key %q", k)
		}
	}
}

// TestDisabledUserCannotUseOldLinks: a password link given before the
// user was disabled does not work after.
func TestDisabledUserCannotUseOldLinks(t *testing.T) {
	ctx := context.Background()
	s := NewStore(redisSrv.Client(t))
	u, _ := s.CreateUser(ctx, "acme", "bob@example.com", RoleAdmin)
	tok, _ := s.SetupToken(ctx, u.Email)
	if err := s.DisableUser(ctx, u.Email); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetupUser(ctx, tok); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("SetupUser of a disabled user = %v", err)
	}
	if _, err := s.SetPassword(ctx, tok, "a long enough password"); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("SetPassword of a disabled user = %v", err)
	}
	if _, _, err := s.StartSession(ctx, u); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("StartSession of a disabled user = %v", err)
	}
}

// TestBootstrapForTheDefaultTenant: a store whose default tenant has no
// admin key gets one even when other keys exist (a first "apikey create
// --role viewer" must not leave a newcomer without an admin), and a
// console admin with a one-time password link until one has a password.
func TestBootstrapForTheDefaultTenant(t *testing.T) {
	ctx := context.Background()
	s := NewStore(redisSrv.Client(t))
	if _, _, err := s.Create(ctx, DefaultTenant, RoleViewer); err != nil {
		t.Fatal(err)
	}
	if sec, err := s.Bootstrap(ctx); err != nil || sec == "" {
		t.Fatalf("Bootstrap with only a viewer key = %q, %v; want an admin key", sec, err)
	}
	if sec, _ := s.Bootstrap(ctx); sec != "" {
		t.Error("a second Bootstrap made another admin key")
	}
	email, tok, err := s.BootstrapUser(ctx)
	if err != nil || email != BootstrapAdmin || tok == "" {
		t.Fatalf("BootstrapUser = %q %q %v", email, tok, err)
	}
	// Until the password is set, every start gives a new link.
	if _, tok2, _ := s.BootstrapUser(ctx); tok2 == "" || tok2 == tok {
		t.Errorf("a second start gave %q", tok2)
	}
	if _, err := s.SetPassword(ctx, tok, "the admin's password"); err != nil {
		t.Fatal(err)
	}
	if email, tok, err := s.BootstrapUser(ctx); email != "" || tok != "" || err != nil {
		t.Errorf("BootstrapUser with a signed-up admin = %q %q %v", email, tok, err)
	}
}
