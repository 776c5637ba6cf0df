package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/douyin"
	"github.com/scangate/scangate/internal/wechat"
)

// openApps builds the platform apps store, its token keeper and the sun
// code maker. Secrets
// are sealed with secrets.key; the embedded quick start makes a key for its
// run (its store is in memory anyway); a real Redis without a key can list
// and delete apps but not store secrets.
func openApps(cfg Config, rdb redis.UniversalClient, embedded bool, log *slog.Logger) (*apps.Store, *apps.Tokens, *apps.SunCodes, *wechat.Client, error) {
	keyText := cfg.Secrets.Key
	if keyText == "" && embedded {
		keyText = apps.NewKey()
		log.Info("platform secrets: generated a secrets key for this run (the embedded store is in memory); set secrets.key in production")
	}
	var sealer *apps.Sealer
	if keyText != "" {
		key, err := apps.ParseKey(keyText)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("secrets.key: %w", err)
		}
		if sealer, err = apps.NewSealer(key); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("secrets.key: %w", err)
		}
	} else {
		log.Warn("secrets.key not set: platform apps (WeChat, Douyin) cannot be registered; set SCANGATE_SECRETS_KEY to 32 bytes of base64")
	}
	store := apps.NewStore(rdb, sealer)
	wx := wechat.NewClient(cfg.Platforms.WeChat.APIBase, cfg.Platforms.Timeout)
	tokens := apps.NewTokens(store, map[string]apps.Fetcher{
		apps.WeChat: wechatFetcher{wx},
		apps.Douyin: douyinFetcher{douyin.NewClient(cfg.Platforms.Douyin.APIBase, cfg.Platforms.Timeout)},
	}, cfg.Platforms.Timeout)
	return store, tokens, apps.NewSunCodes(tokens, sunCodeMaker{wx}), wx, nil
}

// sunCodeMaker adapts the WeChat client to apps.SunCodeMaker.
type sunCodeMaker struct{ c *wechat.Client }

func (m sunCodeMaker) Make(ctx context.Context, token string, c apps.SunCode) ([]byte, string, error) {
	return m.c.GetUnlimited(ctx, token, wechat.SunCode{Scene: c.Scene, Page: c.Page, CheckPath: c.CheckPath,
		EnvVersion: c.EnvVersion, Width: c.Width, LineColor: c.LineColor, Hyaline: c.Hyaline})
}

func (sunCodeMaker) Stale(err error) bool { return wechat.TokenRejected(err) }

// wechatFetcher adapts the WeChat client to apps.Fetcher.
type wechatFetcher struct{ c *wechat.Client }

func (f wechatFetcher) Fetch(ctx context.Context, appID, secret string, force bool) (string, time.Time, error) {
	tok, err := f.c.StableToken(ctx, appID, secret, force, time.Now())
	return tok.Value, tok.ExpiresAt, err
}

func (wechatFetcher) Refused(err error) (int, string, bool) {
	var e *wechat.APIError
	if !errors.As(err, &e) {
		return 0, "", false
	}
	switch e.Code {
	case wechat.CodeBadSecret, wechat.CodeInvalidAppID, wechat.CodeIPNotAllowed:
		return e.Code, e.Message, true
	}
	return 0, "", false
}

func (wechatFetcher) Stale(err error) bool { return wechat.TokenRejected(err) }

// douyinFetcher adapts the Douyin client to apps.Fetcher.
type douyinFetcher struct{ c *douyin.Client }

func (f douyinFetcher) Fetch(ctx context.Context, appID, secret string, _ bool) (string, time.Time, error) {
	tok, err := f.c.ClientToken(ctx, appID, secret, time.Now())
	return tok.Value, tok.ExpiresAt, err
}

func (douyinFetcher) Refused(err error) (int, string, bool) {
	var e *douyin.APIError
	if !errors.As(err, &e) {
		return 0, "", false
	}
	switch e.Code {
	case douyin.CodeBadSecret, douyin.CodeUnknownApp:
		return e.Code, e.Message, true
	}
	return 0, "", false
}

func (douyinFetcher) Stale(error) bool { return false }

// urlLinkGenerator adapts the WeChat client to urllinks.Generator.
type urlLinkGenerator struct{ c *wechat.Client }

func (g urlLinkGenerator) Generate(ctx context.Context, token, path, query, envVersion string, expires time.Time) (string, error) {
	return g.c.GenerateURLLink(ctx, token, wechat.Launch{Path: path, Query: query, EnvVersion: envVersion}, expires)
}

func (urlLinkGenerator) Stale(err error) bool { return wechat.TokenRejected(err) }
