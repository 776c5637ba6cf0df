package apps

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// A tenant's events secret signs the conversions its server reports
// (X-ScanGate-Signature, HMAC-SHA256 keyed with the secret's text). It is
// kept sealed, like the platforms' secrets, and shown once, when made.

// ErrNoEventSecret: the tenant has not made an events secret.
var ErrNoEventSecret = errors.New("apps: no events secret")

func eventSecretKey(tenant string) string { return "sg:{apps}:evsecret:" + tenant }

// eventSecretPrefix marks an events secret, so that one pasted in the wrong
// place is recognised.
const eventSecretPrefix = "sgs_"

// RotateEventSecret makes a new events secret for tenant, replacing the
// old one at once, and returns it: the only time it is shown.
func (s *Store) RotateEventSecret(ctx context.Context, tenant string) (string, error) {
	if s.sealer == nil {
		return "", ErrNoKey
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	secret := eventSecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	if err := s.rdb.Set(ctx, eventSecretKey(tenant), s.sealer.Seal(secret, "events:"+tenant), 0).Err(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return secret, nil
}

// EventSecret returns tenant's events secret, or ErrNoEventSecret.
func (s *Store) EventSecret(ctx context.Context, tenant string) (string, error) {
	sealed, err := s.rdb.Get(ctx, eventSecretKey(tenant)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", ErrNoEventSecret
	case err != nil:
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	case s.sealer == nil:
		return "", ErrNoKey
	}
	return s.sealer.Open(sealed, "events:"+tenant)
}
