package links

import (
	"strconv"
	"strings"
	"time"
)

// csvColumn reads and sets one CSV column of a link's fields: set is given
// a non-empty cell, get answers "" for a field that is not set.
type csvColumn struct {
	get func(in *Input) string
	set func(in *Input, v string) error
}

// csvColumnOrder is the bulk create's CSV layout, as exports write it;
// params.<key> columns go after max_scans.
var csvColumnOrder = []string{"code", "title", "campaign", "tags", "fallback_url", "status", "starts_at", "expires_at", "max_scans",
	"targets.wechat.appid", "targets.wechat.env_version", "targets.wechat.path", "targets.wechat.query",
	"targets.wechat.url_link", "targets.wechat.url_link_expires_at",
	"targets.alipay.appid", "targets.alipay.page", "targets.alipay.query",
	"targets.baidu.appkey", "targets.baidu.path", "targets.baidu.query",
	"targets.douyin.appid", "targets.douyin.path", "targets.douyin.query",
	"targets.qq.appid", "targets.qq.path", "targets.qq.query",
	"targets.kuaishou.appid", "targets.kuaishou.path", "targets.kuaishou.query",
	"targets.web.url"}

// csvColumns are the columns other than params.<key>: a target's columns
// set its fields, creating it (a target is present when any of its cells
// is non-empty).
var csvColumns = map[string]csvColumn{
	"code":         textColumn(func(in *Input) *string { return &in.Code }),
	"title":        textColumn(func(in *Input) *string { return &in.Title }),
	"campaign":     textColumn(func(in *Input) *string { return &in.Campaign }),
	"fallback_url": textColumn(func(in *Input) *string { return &in.FallbackURL }),
	"status": {
		get: func(in *Input) string { return string(in.Status) },
		set: func(in *Input, v string) error { in.Status = Status(v); return nil },
	},
	"tags": {
		get: func(in *Input) string { return strings.Join(in.Tags, "|") },
		set: func(in *Input, v string) error {
			in.Tags = []string{}
			for _, t := range strings.Split(v, "|") {
				if t = strings.TrimSpace(t); t != "" {
					in.Tags = append(in.Tags, t)
				}
			}
			return nil
		},
	},
	"max_scans": {
		get: func(in *Input) string {
			if in.MaxScans == 0 {
				return ""
			}
			return strconv.FormatInt(in.MaxScans, 10)
		},
		set: func(in *Input, v string) (err error) {
			if in.MaxScans, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				return invalid("max_scans", "must be a whole number")
			}
			return nil
		},
	},
	"starts_at":  timeColumn("starts_at", func(in *Input) **time.Time { return &in.StartsAt }),
	"expires_at": timeColumn("expires_at", func(in *Input) **time.Time { return &in.ExpiresAt }),

	"targets.wechat.appid":       targetColumn(wechatOf, func(t *WeChatTarget) *string { return &t.AppID }),
	"targets.wechat.path":        targetColumn(wechatOf, func(t *WeChatTarget) *string { return &t.Path }),
	"targets.wechat.query":       targetColumn(wechatOf, func(t *WeChatTarget) *string { return &t.Query }),
	"targets.wechat.env_version": targetColumn(wechatOf, func(t *WeChatTarget) *string { return &t.EnvVersion }),
	"targets.wechat.url_link":    targetColumn(wechatOf, func(t *WeChatTarget) *string { return &t.URLLink }),
	"targets.wechat.url_link_expires_at": {
		get: func(in *Input) string {
			if w := in.Targets.WeChat; w != nil {
				return formatTime(w.URLLinkExpiresAt)
			}
			return ""
		},
		set: func(in *Input, v string) error {
			t, err := parseCSVTime("targets.wechat.url_link_expires_at", v)
			if err != nil {
				return err
			}
			if in.Targets.WeChat == nil {
				in.Targets.WeChat = &WeChatTarget{}
			}
			in.Targets.WeChat.URLLinkExpiresAt = t
			return nil
		},
	},
	"targets.alipay.appid":   targetColumn(alipayOf, func(t *AlipayTarget) *string { return &t.AppID }),
	"targets.alipay.page":    targetColumn(alipayOf, func(t *AlipayTarget) *string { return &t.Page }),
	"targets.alipay.query":   targetColumn(alipayOf, func(t *AlipayTarget) *string { return &t.Query }),
	"targets.baidu.appkey":   targetColumn(baiduOf, func(t *BaiduTarget) *string { return &t.AppKey }),
	"targets.baidu.path":     targetColumn(baiduOf, func(t *BaiduTarget) *string { return &t.Path }),
	"targets.baidu.query":    targetColumn(baiduOf, func(t *BaiduTarget) *string { return &t.Query }),
	"targets.douyin.appid":   targetColumn(douyinOf, miniAppID),
	"targets.douyin.path":    targetColumn(douyinOf, miniPath),
	"targets.douyin.query":   targetColumn(douyinOf, miniQuery),
	"targets.qq.appid":       targetColumn(qqOf, miniAppID),
	"targets.qq.path":        targetColumn(qqOf, miniPath),
	"targets.qq.query":       targetColumn(qqOf, miniQuery),
	"targets.kuaishou.appid": targetColumn(kuaishouOf, miniAppID),
	"targets.kuaishou.path":  targetColumn(kuaishouOf, miniPath),
	"targets.kuaishou.query": targetColumn(kuaishouOf, miniQuery),
	"targets.web.url":        targetColumn(webOf, func(t *WebTarget) *string { return &t.URL }),
}

// The targets' places in Targets, for targetColumn.
func wechatOf(t *Targets) **WeChatTarget { return &t.WeChat }
func alipayOf(t *Targets) **AlipayTarget { return &t.Alipay }
func baiduOf(t *Targets) **BaiduTarget   { return &t.Baidu }
func douyinOf(t *Targets) **MiniTarget   { return &t.Douyin }
func qqOf(t *Targets) **MiniTarget       { return &t.QQ }
func kuaishouOf(t *Targets) **MiniTarget { return &t.Kuaishou }
func webOf(t *Targets) **WebTarget       { return &t.Web }

func miniAppID(t *MiniTarget) *string { return &t.AppID }
func miniPath(t *MiniTarget) *string  { return &t.Path }
func miniQuery(t *MiniTarget) *string { return &t.Query }

func textColumn(field func(*Input) *string) csvColumn {
	return csvColumn{
		get: func(in *Input) string { return *field(in) },
		set: func(in *Input, v string) error { *field(in) = v; return nil },
	}
}

func timeColumn(name string, field func(*Input) **time.Time) csvColumn {
	return csvColumn{
		get: func(in *Input) string { return formatTime(*field(in)) },
		set: func(in *Input, v string) error {
			t, err := parseCSVTime(name, v)
			if err == nil {
				*field(in) = t
			}
			return err
		},
	}
}

// targetColumn is a text field of a target, which setting creates.
func targetColumn[T any](place func(*Targets) **T, field func(*T) *string) csvColumn {
	return csvColumn{
		get: func(in *Input) string {
			if t := *place(&in.Targets); t != nil {
				return *field(t)
			}
			return ""
		},
		set: func(in *Input, v string) error {
			p := place(&in.Targets)
			if *p == nil {
				*p = new(T)
			}
			*field(*p) = v
			return nil
		},
	}
}

// formatTime writes a time as the JSON API does; "" for none.
func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func parseCSVTime(name, v string) (*time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, invalid(name, "must be an RFC 3339 time, e.g. 2027-01-01T00:00:00Z")
	}
	return &t, nil
}
