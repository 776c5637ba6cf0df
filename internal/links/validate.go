package links

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on what a client controls. They keep one link's record small
// (well under 8 KiB) so that the cache and Redis stay cheap per link.
const (
	MaxTitleRunes    = 200
	MaxTags          = 20
	MaxTagRunes      = 32
	MaxCampaignRunes = 64
	MaxParams        = 32
	MaxParamKeyLen   = 32
	MaxParamValueLen = 256
	MaxParamsBytes   = 2048
	MaxURLLen        = 2048
	MaxPathLen       = 256
	MaxQueryLen      = 1024 // Alipay, Baidu, Douyin, QQ, Kuaishou
	// MaxWeChatQueryEncoded is WeChat's limit on the plaintext scheme's
	// query, URL-encoded, including the scene=<code> we add.
	MaxWeChatQueryEncoded = 512
	MaxMaxScans           = 1_000_000_000_000
)

var paramKey = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)

// normalize fills defaults and checks every rule, returning the first
// broken one as a *FieldError. It may rewrite fields into their canonical
// form (a page path's leading '/', duplicate tags).
func (in *Input) normalize() error {
	if in.Code != "" {
		if err := checkCustomCode(in.Code); err != nil {
			return err
		}
	}
	if err := checkShown("title", in.Title, MaxTitleRunes); err != nil {
		return err
	}
	if in.Campaign != "" {
		if err := checkLabel("campaign", in.Campaign, MaxCampaignRunes); err != nil {
			return err
		}
	}
	if err := in.normalizeTags(); err != nil {
		return err
	}
	if err := checkParams(in.Params); err != nil {
		return err
	}
	if err := in.Targets.normalize(in.codeForLimits()); err != nil {
		return err
	}
	if err := in.normalizeRouting(in.codeForLimits()); err != nil {
		return err
	}
	if in.FallbackURL != "" {
		if err := checkURL("fallback_url", in.FallbackURL); err != nil {
			return err
		}
	}
	switch in.Status {
	case "":
		in.Status = StatusActive
	case StatusActive, StatusPaused:
	default:
		return invalid("status", "must be %q or %q", StatusActive, StatusPaused)
	}
	if in.StartsAt != nil && in.ExpiresAt != nil && !in.StartsAt.Before(*in.ExpiresAt) {
		return invalid("expires_at", "must be later than starts_at")
	}
	if in.MaxScans < 0 || in.MaxScans > MaxMaxScans {
		return invalid("max_scans", "must be between 0 (no limit) and %d", int64(MaxMaxScans))
	}
	return nil
}

// codeForLimits is the longest scene a launch query can carry, so that a
// query valid now stays valid whatever code is generated.
func (in *Input) codeForLimits() string {
	if in.Code != "" {
		return in.Code
	}
	return strings.Repeat("x", GeneratedCodeLen)
}

func (in *Input) normalizeTags() error {
	if len(in.Tags) > MaxTags {
		return invalid("tags", "at most %d tags", MaxTags)
	}
	seen := make(map[string]bool, len(in.Tags))
	out := in.Tags[:0]
	for _, t := range in.Tags {
		if err := checkLabel("tags", t, MaxTagRunes); err != nil {
			return err
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	in.Tags = out
	return nil
}

// checkText allows any printable text up to max runes.
func checkText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(field, "at most %d characters (got %d)", max, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid(field, "must not contain control characters")
		}
	}
	return nil
}

// checkShown is checkText for text shown to people as it is (titles,
// reasons): no invisible format characters either, such as the bidi
// controls (U+202E) that would make it read as something else, or line
// separators. The zero-width joiner of emoji sequences stays.
func checkShown(field, s string, max int) error {
	if err := checkText(field, s, max); err != nil {
		return err
	}
	for _, r := range s {
		if r != '\u200d' && (unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp)) {
			return invalid(field, "must not contain invisible formatting characters (%U)", r)
		}
	}
	return nil
}

// checkLabel allows letters (any script), digits, '_', '-' and '.': labels
// end up in Redis keys, URL paths and CSV cells, where braces, slashes,
// spaces and quotes would each cause trouble.
func checkLabel(field, s string, max int) error {
	if s == "" {
		return invalid(field, "must not be empty")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(field, "at most %d characters (got %d)", max, n)
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.') {
			return invalid(field, "%q may contain only letters, digits, '_', '-' and '.'", s)
		}
	}
	return nil
}

func checkParams(p map[string]string) error {
	if len(p) > MaxParams {
		return invalid("params", "at most %d params", MaxParams)
	}
	total := 0
	for k, v := range p {
		if !paramKey.MatchString(k) {
			return invalid("params", "key %q must be 1 to %d characters of A-Z, a-z, 0-9, '_', '.' or '-'", k, MaxParamKeyLen)
		}
		if len(v) > MaxParamValueLen {
			return invalid("params."+k, "at most %d bytes", MaxParamValueLen)
		}
		if err := checkText("params."+k, v, MaxParamValueLen); err != nil {
			return err
		}
		total += len(k) + len(v)
	}
	if total > MaxParamsBytes {
		return invalid("params", "keys and values together must stay within %d bytes", MaxParamsBytes)
	}
	return nil
}

// checkURL accepts absolute http(s) URLs with a host and no user-info: the
// only kind of URL a scan may be redirected to.
func checkURL(field, raw string) error {
	if len(raw) > MaxURLLen {
		return invalid(field, "at most %d characters", MaxURLLen)
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			return invalid(field, "must not contain spaces or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid(field, "is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return invalid(field, "must be an http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return invalid(field, "must have a host")
	}
	if u.User != nil {
		return invalid(field, "must not contain a user name or password")
	}
	return nil
}

// checkCreateTimes refuses a link that could never be scanned.
func checkCreateTimes(in *Input, now time.Time) error {
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return invalid("expires_at", "is in the past")
	}
	return nil
}
