package apps

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
)

// KeySize is the length of a secrets key: AES-256.
const KeySize = 32

// ErrBadKey says a secrets key is not 32 bytes of base64.
var ErrBadKey = errors.New("apps: secrets key must be 32 bytes, base64-encoded")

// ParseKey decodes a secrets key (standard or URL base64, padded or not).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, ErrBadKey
}

// NewKey returns a random secrets key, base64-encoded.
func NewKey() string {
	k := make([]byte, KeySize)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// Sealer encrypts secrets at rest with AES-256-GCM. Each value is bound to
// what it belongs to (its platform, app and field), so a sealed secret
// copied to another app's record does not open there.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, ErrBadKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// errOpen says a sealed value does not open: another key, or altered.
var errOpen = errors.New("apps: a stored secret does not decrypt with this secrets key")

// Seal encrypts plain for context ctx: base64 of a random nonce and the
// ciphertext.
func (s *Sealer) Seal(plain, ctx string) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	rand.Read(nonce)
	return base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), []byte(ctx)))
}

// Open decrypts what Seal made for the same context.
func (s *Sealer) Open(sealed, ctx string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize()+s.aead.Overhead() {
		return "", errOpen
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(ctx))
	if err != nil {
		return "", errOpen
	}
	return string(plain), nil
}
