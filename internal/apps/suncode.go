package apps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// SunCode is what a mini program code (WeChat's wxacode.getUnlimited) is
// made of: the scene the mini program receives, the page it opens, and
// how it looks.
type SunCode struct {
	Scene      string
	Page       string
	CheckPath  bool
	EnvVersion string
	Width      int
	LineColor  *[3]uint8
	Hyaline    bool
}

// SunCodeMaker asks WeChat for a sun code: the WeChat client, adapted in
// cmd/gateway.
type SunCodeMaker interface {
	Make(ctx context.Context, token string, c SunCode) (img []byte, mediaType string, err error)
	// Stale reports whether err means the token is no longer good.
	Stale(err error) bool
}

// sunCodeTTL keeps a sun code this long after it was last asked for:
// WeChat's codes never expire, but nobody needs a stale option's image
// kept forever.
const sunCodeTTL = 30 * 24 * time.Hour

// SunCodes makes WeChat sun codes for the tenants' registered apps and
// keeps them in Redis, by everything they are made of, so that WeChat is
// asked once per code and options.
type SunCodes struct {
	tokens *Tokens
	maker  SunCodeMaker
}

// NewSunCodes returns the sun code maker of a token keeper.
func NewSunCodes(tokens *Tokens, maker SunCodeMaker) *SunCodes {
	return &SunCodes{tokens: tokens, maker: maker}
}

// sunCodeKey names a kept sun code by its tenant (an app id that changes
// hands does not hand over its images), app and everything it is made of.
func sunCodeKey(tenant, appID string, c SunCode) string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(append([]byte(tenant+"\x00"+appID+"\x00"), b...))
	return "sg:{apps}:suncode:" + hex.EncodeToString(sum[:16])
}

type storedSunCode struct {
	Image     []byte `json:"i"`
	MediaType string `json:"t"`
}

// Get returns the sun code of one of the tenant's WeChat apps: from the
// cache, or made now (once more with a fresh token if WeChat found the
// shared one stale). ErrNotFound: the tenant has no such app.
func (s *SunCodes) Get(ctx context.Context, tenant, appID string, c SunCode) ([]byte, string, error) {
	rdb := s.tokens.store.rdb
	key := sunCodeKey(tenant, appID, c)
	if _, err := s.tokens.store.Get(ctx, tenant, WeChat, appID); err != nil {
		return nil, "", err
	}
	raw, err := rdb.GetEx(ctx, key, sunCodeTTL).Bytes()
	if err == nil {
		var st storedSunCode
		if json.Unmarshal(raw, &st) == nil && len(st.Image) > 0 {
			return st.Image, st.MediaType, nil
		}
	} else if !errors.Is(err, redis.Nil) {
		return nil, "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	token, err := s.tokens.Token(ctx, tenant, WeChat, appID)
	if err != nil {
		return nil, "", err
	}
	img, mt, err := s.maker.Make(ctx, token, c)
	if s.maker.Stale(err) {
		if token, err = s.tokens.Refresh(ctx, tenant, WeChat, appID, token); err != nil {
			return nil, "", err
		}
		img, mt, err = s.maker.Make(ctx, token, c)
	}
	if err != nil {
		return nil, "", err
	}
	b, _ := json.Marshal(storedSunCode{Image: img, MediaType: mt})
	if err := rdb.Set(ctx, key, b, sunCodeTTL).Err(); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return img, mt, nil
}
