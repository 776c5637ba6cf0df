package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/douyin"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/urllinks"
	"github.com/scangate/scangate/internal/wechat"
)

// openApps builds the platform apps store, its token keeper and the sun
// code maker. Secrets
// are sealed with secrets.key; the embedded quick start makes a key for its
// run (its store is in memory anyway); a real Redis without a key can list
// and delete apps but not store secrets.
func openApps(cfg Config, rdb redis.UniversalClient, embedded bool, log *slog.Logger) (*apps.Store, *apps.Tokens, *apps.SunCodes, []urllinks.Platform, error) {
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
	dy := douyin.NewClient(cfg.Platforms.Douyin.APIBase, cfg.Platforms.Timeout)
	tokens := apps.NewTokens(store, map[string]apps.Fetcher{
		apps.WeChat:        wechatFetcher{wx},
		apps.WeChatService: wechatFetcher{wx},
		apps.WeChatTicket:  ticketFetcher{wx},
		apps.Douyin:        douyinFetcher{dy},
	}, cfg.Platforms.Timeout)
	launch := []urllinks.Platform{
		{Name: links.MadeWeChat, Kinds: []string{links.KindURLLink, links.KindScheme}, Lifetime: urllinks.WeChatLifetime, Gen: wechatLinks{wx}},
		{Name: links.MadeDouyin, Kinds: []string{links.KindURLLink}, Lifetime: urllinks.DouyinLifetime, Gen: douyinLinks{dy}},
	}
	return store, tokens, apps.NewSunCodes(tokens, sunCodeMaker{wx}), launch, nil
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

// ticketFetcher adapts the WeChat client's JS-SDK ticket to apps.Fetcher:
// its "secret" is the service account's access token.
type ticketFetcher struct{ c *wechat.Client }

func (f ticketFetcher) Fetch(ctx context.Context, _, token string, _ bool) (string, time.Time, error) {
	tok, err := f.c.JSAPITicket(ctx, token, time.Now())
	return tok.Value, tok.ExpiresAt, err
}

// Refused: what WeChat says of the service account's credentials or
// rights (40013, 40125, 40164 not on its IP allowlist, 48001 not allowed
// the JS-SDK); other errcodes are passing trouble (-1 busy, a limit).
func (ticketFetcher) Refused(err error) (int, string, bool) {
	var e *wechat.APIError
	if !errors.As(err, &e) {
		return 0, "", false
	}
	switch e.Code {
	case wechat.CodeInvalidAppID, wechat.CodeBadSecret, wechat.CodeIPNotAllowed, wechat.CodeUnauthorized:
		return e.Code, e.Message, true
	}
	return 0, "", false
}

func (ticketFetcher) Stale(err error) bool { return wechat.TokenRejected(err) }

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

// wechatLinks adapts the WeChat client to urllinks.Generator: URL Links
// and encrypted schemes.
type wechatLinks struct{ c *wechat.Client }

func (g wechatLinks) Generate(ctx context.Context, token, kind string, s links.Slot, expires time.Time) (string, error) {
	l := wechat.Launch{Path: s.Path, Query: s.Query, EnvVersion: s.EnvVersion}
	if kind == links.KindScheme {
		return g.c.GenerateScheme(ctx, token, l, expires)
	}
	return g.c.GenerateURLLink(ctx, token, l, expires)
}

func (wechatLinks) Stale(err error) bool { return wechat.TokenRejected(err) }

// Refused: WeChat's errcodes but a stale token's and -1 (system busy,
// passing): its limits (44990 a minute, 45009 and 44993 a day); what it
// says of the app (85079 no published version, 40013 invalid or banned,
// 48001 not allowed, e.g. a personal mini program); else of this page or
// query (40165 no such page, 40212 a bad query).
func (wechatLinks) Refused(err error) (urllinks.Refusal, bool) {
	var e *wechat.APIError
	if !errors.As(err, &e) || wechat.TokenRejected(err) || e.Code == -1 {
		return urllinks.Refusal{}, false
	}
	r := urllinks.Refusal{Code: e.Code, Message: e.Message}
	switch e.Code {
	case wechat.CodeTooFast:
		r.PerMinute = true
	case wechat.CodeRateLimited, wechat.CodeDailyQuota:
		r.Daily = true
	case wechat.CodeNotPublished, wechat.CodeInvalidAppID, wechat.CodeUnauthorized:
		r.App = true
	}
	return r, true
}

// douyinLinks adapts the Douyin client to urllinks.Generator: URL Links.
type douyinLinks struct{ c *douyin.Client }

func (g douyinLinks) Generate(ctx context.Context, token, _ string, s links.Slot, expires time.Time) (string, error) {
	// Douyin takes the query as an object of strings.
	q := map[string]string{}
	for part := range strings.SplitSeq(s.Query, "&") {
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		if _, dup := q[k]; k != "" && !dup {
			q[k] = v
		}
	}
	return g.c.GenerateURLLink(ctx, token, s.AppID, douyin.Launch{Path: s.Path, Query: q}, expires)
}

func (douyinLinks) Stale(err error) bool {
	var e *douyin.APIError
	return errors.As(err, &e) && (e.Code == douyin.CodeInvalidToken || e.Code == douyin.CodeTokenExpired)
}

// Refused reads Douyin's common OpenAPI codes: passing trouble (-1,
// 28001005 busy, 28001006 network, 28001052 risk control, 28005002
// internal error) is not a
// refusal; 28003018 is its rate limit, 28003017 the day's quota; 28001014,
// 28001016, 28001018, 28001019 and 28001021 say the app may not make links
// (not granted, banned, trial expired); anything else (28001007 invalid
// parameters, ...) is about this page or query: held 30 minutes, which
// costs a passing fault Douyin did not document that long, and never
// turns an unknown lasting one into a loop.
func (g douyinLinks) Refused(err error) (urllinks.Refusal, bool) {
	var e *douyin.APIError
	if !errors.As(err, &e) || g.Stale(err) {
		return urllinks.Refusal{}, false
	}
	r := urllinks.Refusal{Code: e.Code, Message: e.Message}
	switch e.Code {
	case -1, 28001005, 28001006, 28001052, 28005002:
		return urllinks.Refusal{}, false
	case 28003018, douyin.CodeRateLimited:
		r.PerMinute = true
	case 28003017:
		r.Daily = true
	case 28001014, 28001016, 28001018, 28001019, 28001021, douyin.CodeUnknownApp:
		r.App = true
	}
	return r, true
}
