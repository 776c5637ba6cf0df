package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
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
