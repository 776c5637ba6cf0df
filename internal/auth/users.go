package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/argon2"
)

// Console users: people of a tenant who sign in with an email address and
// a password. A user is created without a password and given a one-time
// link to set one (SetupToken); passwords are stored as argon2id hashes.

// User is a stored console user.
type User struct {
	Email     string    `json:"email"` // lower case: the user's name
	Tenant    string    `json:"tenant"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// PasswordHash is an argon2id PHC string; "" until a password is set.
	PasswordHash string `json:"password_hash,omitempty"`
}

// More errors.
var (
	// ErrBadCredentials is any failed sign-in: unknown email, wrong
	// password, a disabled user or one without a password. They are not
	// told apart.
	ErrBadCredentials = errors.New("wrong email or password")
	// ErrTokenInvalid is a password link that is unknown, used or expired.
	ErrTokenInvalid = errors.New("this link is not valid any more: ask an admin for a new one")
	// ErrExists is a user created twice.
	ErrExists = errors.New("exists")
)

// Password rules.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256 // bytes: argon2 hashes what it is given, so bound it
	// SetupTokenTTL is how long a password link stays valid.
	SetupTokenTTL = 72 * time.Hour
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane), about 30 ms on one core here. A sign-in holds hashSlots at most,
// so that a burst of sign-ins cannot take memory without bound.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
	hashSlots    = 4
)

var hashGate = make(chan struct{}, hashSlots)

func usersKey() string { return "sg:auth:users" }

func setupTokenKey(hash string) string { return "sg:auth:setup:" + hash }

// NormalizeEmail checks an email address and returns its stored form.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndex(s, "@"):], ".") {
		return "", fmt.Errorf("%w: email: %q is not an email address", ErrInvalid, s)
	}
	return s, nil
}

// CheckPassword checks a new password's length.
func CheckPassword(p string) error {
	switch {
	case utf8.RuneCountInString(p) < MinPasswordLen:
		return fmt.Errorf("%w: password: at least %d characters", ErrInvalid, MinPasswordLen)
	case len(p) > MaxPasswordLen:
		return fmt.Errorf("%w: password: at most %d bytes", ErrInvalid, MaxPasswordLen)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: password: not valid text", ErrInvalid)
	}
	return nil
}

func hashPassword(ctx context.Context, p string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := argonKey(ctx, []byte(p), salt, argonTime, argonMemory, argonThreads)
	if err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// argonKey runs argon2id in one of the hash slots.
func argonKey(ctx context.Context, p, salt []byte, t, m uint32, threads uint8) ([]byte, error) {
	select {
	case hashGate <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	defer func() { <-hashGate }()
	return argon2.IDKey(p, salt, t, m, threads, argonKeyLen), nil
}

// verifyPassword checks p against a PHC string written by hashPassword.
func verifyPassword(ctx context.Context, encoded, p string) (bool, error) {
	var version int
	var m, t uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, nil
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, nil
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &threads); err != nil || m > 1<<20 || t > 16 || threads == 0 {
		return false, nil
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) != argonKeyLen {
		return false, nil
	}
	got, err := argonKey(ctx, []byte(p), salt, t, m, threads)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when the email is unknown, so that a
// sign-in takes as long whether or not the user exists.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// CreateUser adds a user of tenant without a password.
func (s *Store) CreateUser(ctx context.Context, tenant, email string, role Role) (User, error) {
	if !ValidTenant(tenant) {
		return User{}, fmt.Errorf("%w: tenant must be 1-64 of a-z, 0-9, '_' and '-'", ErrInvalid)
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	u := User{Email: email, Tenant: tenant, Role: role, CreatedAt: s.now().UTC()}
	data, err := json.Marshal(u)
	if err != nil {
		return User{}, err
	}
	ok, err := s.rdb.HSetNX(ctx, usersKey(), email, data).Result()
	if err != nil {
		return User{}, fmt.Errorf("create user: %w: %w", ErrUnavailable, err)
	}
	if !ok {
		return User{}, fmt.Errorf("%w: a user %s exists", ErrExists, email)
	}
	return u, nil
}

// User returns the user of an email address.
func (s *Store) User(ctx context.Context, email string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	data, err := s.rdb.HGet(ctx, usersKey(), email).Bytes()
	if errors.Is(err, redis.Nil) {
		return User{}, fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user: %w: %w", ErrUnavailable, err)
	}
	var u User
	if err := json.Unmarshal(data, &u); err != nil {
		return User{}, fmt.Errorf("decode user %s: %w", email, err)
	}
	return u, nil
}

// Users lists a tenant's users ("" for every tenant's), by email.
func (s *Store) Users(ctx context.Context, tenant string) ([]User, error) {
	all, err := s.rdb.HGetAll(ctx, usersKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("users: %w: %w", ErrUnavailable, err)
	}
	var out []User
	for _, data := range all {
		var u User
		if json.Unmarshal([]byte(data), &u) == nil && (tenant == "" || u.Tenant == tenant) {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Email < out[j].Email })
	return out, nil
}

// updateUser changes a stored user under WATCH.
func (s *Store) updateUser(ctx context.Context, email string, f func(*User) error) (User, error) {
	var out User
	err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
		data, err := tx.HGet(ctx, usersKey(), email).Bytes()
		if errors.Is(err, redis.Nil) {
			return fmt.Errorf("user %s: %w", email, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("user: %w: %w", ErrUnavailable, err)
		}
		var u User
		if err := json.Unmarshal(data, &u); err != nil {
			return err
		}
		if err := f(&u); err != nil {
			return err
		}
		next, err := json.Marshal(u)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, usersKey(), email, next)
			return nil
		})
		out = u
		return err
	}, usersKey())
	if errors.Is(err, redis.TxFailedErr) {
		return User{}, fmt.Errorf("user %s: changed meanwhile, try again: %w", email, ErrUnavailable)
	}
	return out, err
}

// DisableUser stops a user from signing in and ends their sessions.
func (s *Store) DisableUser(ctx context.Context, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if _, err := s.updateUser(ctx, email, func(u *User) error { u.Disabled = true; return nil }); err != nil {
		return err
	}
	return s.EndSessions(ctx, email)
}

// SetupToken returns a one-time token that lets the user set a password
// within SetupTokenTTL (a new one for a user who has one replaces none:
// each is valid until used or expired).
func (s *Store) SetupToken(ctx context.Context, email string) (string, error) {
	u, err := s.User(ctx, email)
	if err != nil {
		return "", err
	}
	tok, err := randomToken()
	if err != nil {
		return "", err
	}
	if err := s.rdb.Set(ctx, setupTokenKey(hashSecret(tok)), u.Email, SetupTokenTTL).Err(); err != nil {
		return "", fmt.Errorf("setup token: %w: %w", ErrUnavailable, err)
	}
	return tok, nil
}

// SetupUser returns the user a setup token is for, without using it.
func (s *Store) SetupUser(ctx context.Context, token string) (User, error) {
	if token == "" || len(token) > 64 {
		return User{}, ErrTokenInvalid
	}
	email, err := s.rdb.Get(ctx, setupTokenKey(hashSecret(token))).Result()
	if errors.Is(err, redis.Nil) {
		return User{}, ErrTokenInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("setup token: %w: %w", ErrUnavailable, err)
	}
	u, err := s.User(ctx, email)
	if err == nil && u.Disabled {
		return User{}, ErrTokenInvalid // a link given before the user was disabled
	}
	return u, err
}

// SetPassword uses a setup token to set its user's password, and ends the
// user's sessions.
func (s *Store) SetPassword(ctx context.Context, token, password string) (User, error) {
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	// The token is checked before the (costly) hash, so that made-up
	// tokens cannot keep the hash slots busy; it is used up after.
	if _, err := s.SetupUser(ctx, token); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(ctx, password)
	if err != nil {
		return User{}, err
	}
	email, err := s.rdb.GetDel(ctx, setupTokenKey(hashSecret(token))).Result()
	if errors.Is(err, redis.Nil) {
		return User{}, ErrTokenInvalid
	}
	if err != nil {
		return User{}, fmt.Errorf("setup token: %w: %w", ErrUnavailable, err)
	}
	u, err := s.updateUser(ctx, email, func(u *User) error {
		if u.Disabled {
			return ErrTokenInvalid
		}
		u.PasswordHash = hash
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return u, s.EndSessions(ctx, email)
}

// CheckCredentials returns the user an email and password sign in. Every
// failure is ErrBadCredentials, and takes as long (a hash is checked
// whether or not the user exists).
func (s *Store) CheckCredentials(ctx context.Context, email, password string) (User, error) {
	if len(password) > MaxPasswordLen {
		return User{}, ErrBadCredentials
	}
	u, err := s.User(ctx, email)
	hash := u.PasswordHash
	switch {
	case errors.Is(err, ErrNotFound):
		hash = dummyHash
	case err != nil:
		return User{}, err
	case hash == "":
		hash = dummyHash
	}
	ok, err := verifyPassword(ctx, hash, password)
	if err != nil {
		return User{}, err
	}
	if !ok || u.Email == "" || u.PasswordHash == "" || u.Disabled {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// randomToken is 256 random bits, URL-safe.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
