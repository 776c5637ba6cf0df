// Package links owns ScanGate's links: the Link type and its validation,
// short codes, the link keys in Redis, listing and bulk import, and the
// in-process cache that keeps the scan path free of Redis round trips.
//
// It knows nothing of HTTP, statistics or rendering: it returns errors
// (ErrNotFound, ErrExists, ErrInvalid via *FieldError) and leaves their
// presentation to the caller. It never logs.
package links

import (
	"time"
)

// Status is the state a tenant sets on a link. Schedule and scan limits
// further decide whether an active link answers; see Link.StateAt.
type Status string

// The statuses a tenant may set.
const (
	StatusActive Status = "active"
	StatusPaused Status = "paused"
)

// Link is one dynamic code owned by a tenant. A *Link returned by Store is
// shared with the cache and must be treated as read-only.
type Link struct {
	Tenant string `json:"tenant"`
	// Input holds the fields its tenant writes (a copy: Link.editable).
	Input
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// DeletedAt marks a link in the trash, until PurgeAt: its scans get
	// the fallback or a 410 page, and its owner may restore it. Purged
	// marks what is left after: the code, reserved for its tenant (its
	// stats keys outlive the link), who may create it again.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	PurgeAt   *time.Time `json:"purge_at,omitempty"`
	Purged    bool       `json:"purged,omitempty"`
	// Version counts the writes a merchant (or their tools) made to the
	// link, from 1 at its creation: each is kept in its history.
	Version int64 `json:"version"`

	// Made are the launch links the gateway made with the tenant's
	// registered apps (WeChat and Douyin URL Links, WeChat encrypted
	// schemes), one per slot and kind; MadeRev counts their changes, which
	// are versions of the link for the scan path's caches (Version).
	Made    []Made `json:"launch_links,omitempty"`
	MadeRev int64  `json:"launch_rev,omitempty"`
	// PlatformStatus is how the last try to make launch links went, per
	// platform: what a merchant can act on (an unpublished mini program,
	// a wrong page). It is not a version of the link.
	PlatformStatus map[string]PlatformStatus `json:"platform_status,omitempty"`
}

// gone reports whether the link was purged: only its code stays, its
// tenant's. A link deleted before the trash existed (no purge_at) is.
func (l *Link) gone() bool { return l.Purged || l.DeletedAt != nil && l.PurgeAt == nil }

// Generation identifies what the scan path serves of the link: its edits
// and its made launch links.
type Generation struct {
	Updated int64 // UpdatedAt, Unix ns
	Made    int64 // MadeRev
}

// Generation returns the link's generation.
func (l *Link) Generation() Generation { return Generation{l.UpdatedAt.UnixNano(), l.MadeRev} }

// Targets holds where a link leads on each host app. A nil target is not
// configured.
type Targets struct {
	WeChat   *WeChatTarget `json:"wechat,omitempty"`
	Alipay   *AlipayTarget `json:"alipay,omitempty"`
	Baidu    *BaiduTarget  `json:"baidu,omitempty"`
	Douyin   *MiniTarget   `json:"douyin,omitempty"`
	QQ       *MiniTarget   `json:"qq,omitempty"`
	Kuaishou *MiniTarget   `json:"kuaishou,omitempty"`
	Web      *WebTarget    `json:"web,omitempty"`
}

// WeChatTarget opens a WeChat mini program.
type WeChatTarget struct {
	AppID      string `json:"appid"`
	Path       string `json:"path,omitempty"`
	Query      string `json:"query,omitempty"`
	EnvVersion string `json:"env_version,omitempty"`
	// URLLink is a https://wxaurl.cn/... link generated for this link by
	// WeChat's generate_urllink API; while it is valid, WeChat clients go
	// straight to it.
	URLLink string `json:"url_link,omitempty"`
	// URLLinkExpiresAt is when WeChat stops honouring URLLink (at most 30
	// days after it was generated). After it, scans fall back to the page
	// that leads into the mini program, so printed codes keep working.
	URLLinkExpiresAt *time.Time `json:"url_link_expires_at,omitempty"`
}

// ActiveURLLink is the WeChat URL Link to use at now, or "" when there is
// none or it has expired.
func (t *WeChatTarget) ActiveURLLink(now time.Time) string {
	if t == nil || t.URLLink == "" || t.URLLinkExpiresAt != nil && !now.Before(*t.URLLinkExpiresAt) {
		return ""
	}
	return t.URLLink
}

// AlipayTarget opens an Alipay mini program.
type AlipayTarget struct {
	AppID string `json:"appid"`
	Page  string `json:"page,omitempty"`
	Query string `json:"query,omitempty"`
}

// BaiduTarget opens a Baidu smart program.
type BaiduTarget struct {
	AppKey string `json:"appkey"`
	Path   string `json:"path,omitempty"`
	Query  string `json:"query,omitempty"`
}

// MiniTarget opens a mini program on hosts whose targets share one shape
// (Douyin/Toutiao, QQ, Kuaishou).
type MiniTarget struct {
	AppID string `json:"appid"`
	Path  string `json:"path,omitempty"`
	Query string `json:"query,omitempty"`
}

// WebTarget is the ordinary web page for clients without a mini program.
type WebTarget struct {
	URL string `json:"url"`
}

// OnlyWeb reports whether the web page is the link's only target.
func (t Targets) OnlyWeb() bool {
	return t.Web != nil && t.WeChat == nil && t.Alipay == nil && t.Baidu == nil &&
		t.Douyin == nil && t.QQ == nil && t.Kuaishou == nil
}

// Empty reports whether no target is set.
func (t Targets) Empty() bool {
	return t.Web == nil && t.WeChat == nil && t.Alipay == nil && t.Baidu == nil &&
		t.Douyin == nil && t.QQ == nil && t.Kuaishou == nil
}

// State is whether a link answers a scan right now.
type State string

// The states a link can be in at a given moment.
const (
	StateLive      State = "live"
	StatePaused    State = "paused"
	StateScheduled State = "scheduled" // starts_at is in the future
	StateExpired   State = "expired"
	StateExhausted State = "exhausted" // max_scans reached
	StateTrashed   State = "trashed"   // in the trash
)

// StateAt is the link's state at now, given how many scans it has had.
func (l *Link) StateAt(now time.Time, scans int64) State {
	switch {
	case l.DeletedAt != nil: // purged links never reach a scan
		return StateTrashed
	case l.Status == StatusPaused:
		return StatePaused
	case l.StartsAt != nil && now.Before(*l.StartsAt):
		return StateScheduled
	case l.ExpiresAt != nil && !now.Before(*l.ExpiresAt):
		return StateExpired
	case l.MaxScans > 0 && scans >= l.MaxScans:
		return StateExhausted
	}
	return StateLive
}
