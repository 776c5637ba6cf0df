package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords: argon2id hashes in PHC strings, computed in a bounded number
// of slots.

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
