package apps

import (
	"context"
	"errors"
	"fmt"
)

// Secret returns an app's secret, decrypted, for the platform client.
func (s *Store) Secret(ctx context.Context, tenant, platform, appID string) (string, error) {
	_, secret, err := s.credentials(ctx, tenant, platform, appID)
	return secret, err
}

// credentials returns the id and the decrypted secret a platform's token
// is fetched with: the app's, or (WeChatService) its service account's.
func (s *Store) credentials(ctx context.Context, tenant, platform, appID string) (string, string, error) {
	if s.sealer == nil {
		return "", "", ErrNoKey
	}
	base, field, idField := basePlatform(platform), "secret", ""
	if platform == WeChatService {
		field, idField = "svc_secret", "svc_appid"
	}
	h, err := s.rdb.HMGet(ctx, appKey(base, appID), "tenant", field, "svc_appid").Result()
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if t, _ := h[0].(string); t != tenant {
		return "", "", ErrNotFound
	}
	sealed, _ := h[1].(string)
	id := appID
	if idField != "" {
		if id, _ = h[2].(string); id == "" || sealed == "" {
			return "", "", ErrNoService
		}
	}
	secret, err := s.sealer.Open(sealed, sealContext(base, appID, field))
	return id, secret, err
}

// ErrNoService: the app has no service account configured.
var ErrNoService = errors.New("no service account configured for the app")

// credentials are what a platform's token is fetched with: the app's id
// and secret, the service account's, or (WeChatTicket) the service
// account's token.
func (t *Tokens) credentials(ctx context.Context, tenant, platform, appID string) (string, string, error) {
	if platform == WeChatTicket {
		tok, _, err := t.token(ctx, tenant, WeChatService, appID, "")
		return appID, tok, err
	}
	return t.store.credentials(ctx, tenant, platform, appID)
}
