// Package auth owns tenants and who may act for them: API keys (creating
// them, storing only their hashes, checking a presented key, the bootstrap
// key of an empty store), console users (argon2id passwords, one-time
// password links, sign-in throttling) and their sessions, and roles. It
// knows nothing of HTTP and never logs.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Role is what a key may do.
type Role string

// The roles.
const (
	RoleAdmin  Role = "admin"  // read and write
	RoleViewer Role = "viewer" // read only
)

// CanWrite reports whether the role may change data.
func (r Role) CanWrite() bool { return r == RoleAdmin }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case RoleAdmin, RoleViewer:
		return Role(s), nil
	}
	return "", fmt.Errorf("%w: role must be admin or viewer, not %q", ErrInvalid, s)
}

// DefaultTenant owns the bootstrap key.
const DefaultTenant = "default"

var tenantName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidTenant reports whether s can name a tenant: lower-case letters,
// digits, '_' and '-', at most 64 characters. Tenant names appear in Redis
// hash tags, so braces and colons are out.
func ValidTenant(s string) bool { return tenantName.MatchString(s) }

// Errors.
var (
	ErrUnauthorized = errors.New("missing or unknown API key")
	ErrNotFound     = errors.New("API key not found")
	ErrInvalid      = errors.New("invalid")
	// ErrUnavailable wraps every failure to reach the store.
	ErrUnavailable = errors.New("key store unavailable")
)

// Key is a stored API key: everything but the secret, which exists only in
// the hands of whoever created it.
type Key struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// CreatedBy is who made the key in the console ("user:<email>"),
	// empty for one made on the command line or at bootstrap.
	CreatedBy string `json:"created_by,omitempty"`
	// Hash is the hex SHA-256 of the secret.
	Hash string `json:"hash"`
}

// Secrets are "sgk_" and 43 base62 characters (256 bits). A fast hash is the
// right tool for secrets this long: unlike passwords they cannot be guessed,
// so a slow KDF would only slow down every API call.
const (
	secretPrefix  = "sgk_"
	secretLen     = 43
	base62        = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	idLen         = 12
	bootstrapLock = "sg:auth:bootstrap"
)

// keysKey is one hash of every key: field = hex SHA-256, value = JSON Key.
func keysKey() string { return "sg:auth:keys" }

// Store keeps API keys in Redis.
type Store struct {
	rdb     redis.UniversalClient
	now     func() time.Time
	unknown recentHashes // secrets that are no key (unknownFor)
	good    recentHashes // secrets that authenticated (goodFor)
}

// NewStore returns a Store on rdb.
func NewStore(rdb redis.UniversalClient) *Store {
	return &Store{rdb: rdb, now: time.Now, unknown: recentHashes{ttl: unknownFor}, good: recentHashes{ttl: goodFor}}
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newSecret() (string, error) {
	var b strings.Builder
	b.WriteString(secretPrefix)
	var buf [64]byte
	for b.Len() < len(secretPrefix)+secretLen {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", err
		}
		for _, c := range buf {
			if c < 248 && b.Len() < len(secretPrefix)+secretLen { // 248 = 4*62: uniform
				b.WriteByte(base62[int(c)%62])
			}
		}
	}
	return b.String(), nil
}

// Create makes a new key for tenant and returns its secret, which is shown
// once and never stored.
func (s *Store) Create(ctx context.Context, tenant string, role Role) (string, Key, error) {
	return s.CreateBy(ctx, tenant, role, "")
}

// CreateBy is Create for a key that by (a console user, "user:<email>")
// makes, so that it can be told, and revoked, with its maker.
func (s *Store) CreateBy(ctx context.Context, tenant string, role Role, by string) (string, Key, error) {
	if !ValidTenant(tenant) {
		return "", Key{}, fmt.Errorf("%w: tenant must be 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit", ErrInvalid)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", Key{}, err
	}
	secret, err := newSecret()
	if err != nil {
		return "", Key{}, fmt.Errorf("generate key: %w", err)
	}
	h := hashSecret(secret)
	k := Key{ID: h[:idLen], Tenant: tenant, Role: role, CreatedAt: s.now().UTC(), CreatedBy: by, Hash: h}
	data, err := json.Marshal(k)
	if err != nil {
		return "", Key{}, err
	}
	if err := s.rdb.HSet(ctx, keysKey(), h, data).Err(); err != nil {
		return "", Key{}, fmt.Errorf("store key: %w: %w", ErrUnavailable, err)
	}
	return secret, k, nil
}

// RevokeKeysBy revokes the tenant's keys that by made (CreateBy), and
// returns how many.
func (s *Store) RevokeKeysBy(ctx context.Context, tenant, by string) (int, error) {
	if by == "" {
		return 0, nil
	}
	keys, err := s.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if k.Tenant == tenant && k.CreatedBy == by {
			if err := s.Revoke(ctx, k.ID); err != nil && !errors.Is(err, ErrNotFound) {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Authenticate returns the key a presented secret belongs to.
func (s *Store) Authenticate(ctx context.Context, secret string) (Key, error) {
	if !strings.HasPrefix(secret, secretPrefix) || len(secret) != len(secretPrefix)+secretLen {
		return Key{}, ErrUnauthorized
	}
	h := hashSecret(secret)
	if s.unknown.has(h, s.now()) {
		return Key{}, ErrUnauthorized
	}
	data, err := s.rdb.HGet(ctx, keysKey(), h).Bytes()
	if errors.Is(err, redis.Nil) {
		s.unknown.add(h, s.now())
		return Key{}, ErrUnauthorized
	}
	if err != nil {
		return Key{}, fmt.Errorf("read key: %w: %w", ErrUnavailable, err)
	}
	var k Key
	if err := json.Unmarshal(data, &k); err != nil {
		return Key{}, fmt.Errorf("decode key: %w", err)
	}
	// The lookup already matched on the hash; comparing again in constant
	// time keeps a corrupted record from ever authenticating a wrong key.
	if subtle.ConstantTimeCompare([]byte(k.Hash), []byte(h)) != 1 {
		return Key{}, ErrUnauthorized
	}
	s.good.add(h, s.now())
	return k, nil
}

// KnownGood reports whether secret authenticated on this instance lately
// (10 minutes): no proof it still does, only that its holder is no
// guesser.
func (s *Store) KnownGood(secret string) bool {
	return s.good.has(hashSecret(secret), s.now())
}

// List returns every key, oldest first, without secrets.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	all, err := s.rdb.HGetAll(ctx, keysKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list keys: %w: %w", ErrUnavailable, err)
	}
	keys := make([]Key, 0, len(all))
	for _, v := range all {
		var k Key
		if err := json.Unmarshal([]byte(v), &k); err != nil {
			return nil, fmt.Errorf("decode key: %w", err)
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if !keys[i].CreatedAt.Equal(keys[j].CreatedAt) {
			return keys[i].CreatedAt.Before(keys[j].CreatedAt)
		}
		return keys[i].ID < keys[j].ID
	})
	return keys, nil
}

// Revoke deletes the key with the given ID (the first 12 hex digits of its
// hash, as List shows).
func (s *Store) Revoke(ctx context.Context, id string) error {
	if len(id) != idLen {
		return ErrNotFound
	}
	keys, err := s.List(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID == id {
			if err := s.rdb.HDel(ctx, keysKey(), k.Hash).Err(); err != nil {
				return fmt.Errorf("revoke key: %w: %w", ErrUnavailable, err)
			}
			return nil
		}
	}
	return ErrNotFound
}

// Restore puts back a key from a backup (its hash and record, never a
// secret): false when the store holds it as it is already. A hash the
// store holds for another tenant is refused.
func (s *Store) Restore(ctx context.Context, k Key) (bool, error) {
	if !ValidTenant(k.Tenant) || len(k.Hash) != 64 || k.ID != k.Hash[:idLen] {
		return false, fmt.Errorf("%w: not a key record", ErrInvalid)
	}
	if _, err := ParseRole(string(k.Role)); err != nil {
		return false, err
	}
	data, err := json.Marshal(k)
	if err != nil {
		return false, err
	}
	cur, err := s.rdb.HGet(ctx, keysKey(), k.Hash).Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return false, fmt.Errorf("read key: %w: %w", ErrUnavailable, err)
	case cur == string(data):
		return false, nil
	default:
		var old Key
		if json.Unmarshal([]byte(cur), &old) == nil && old.Tenant != k.Tenant {
			return false, fmt.Errorf("%w: the key belongs to another tenant here", ErrInvalid)
		}
	}
	if err := s.rdb.HSet(ctx, keysKey(), k.Hash, data).Err(); err != nil {
		return false, fmt.Errorf("store key: %w: %w", ErrUnavailable, err)
	}
	return true, nil
}
