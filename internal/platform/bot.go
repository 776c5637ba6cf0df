package platform

import "strings"

// botPrefixes are HTTP libraries and command-line tools. They name
// themselves first, and a person scanning a code never uses one. okhttp is
// here because scanner apps use it to fetch a page's title before the user
// opens it.
var botPrefixes = [...]string{
	"curl/",
	"Wget/",
	"python-requests/",
	"Python-urllib/",
	"Go-http-client/",
	"okhttp/",
}

// isBot reports whether ua belongs to a crawler, a link previewer or an HTTP
// library rather than a person.
func isBot(ua string) bool {
	// Every browser and in-app web view sends a User-Agent; only scripts
	// and probes send none.
	if ua == "" || ua == "curl" {
		return true
	}
	for _, p := range botPrefixes {
		if strings.HasPrefix(ua, p) {
			return true
		}
	}
	return isWhatsAppPreviewer(ua) || scanBot(ua)
}

// isWhatsAppPreviewer matches WhatsApp's link-preview fetcher, which Signal
// imitates: "WhatsApp/2.23.20.0", or the bare word. The WhatsApp in-app
// browser also mentions WhatsApp, but after a Mozilla/5.0 prefix, so only
// the start of the UA counts.
func isWhatsAppPreviewer(ua string) bool {
	const p = "WhatsApp/"
	if ua == "WhatsApp" {
		return true
	}
	return strings.HasPrefix(ua, p) && len(ua) > len(p) && '0' <= ua[len(p)] && ua[len(p)] <= '9'
}

// botCandidate marks the bytes at which scanBot has something to check: the
// first letters of the generic words in both cases and of the named
// fetchers. Skipping every other byte with one table load keeps the scan
// cheap on the long UAs of real phones.
var botCandidate = [256]bool{
	'a': true, 'A': true, 'b': true, 'B': true, 'c': true, 'C': true, 's': true, 'S': true,
	'E': true, 'f': true, 'G': true, 'H': true, 'I': true, 'm': true, 'M': true, 'v': true,
}

// scanBot looks, in one pass over ua, for crawlers and link previewers by
// name and for the generic crawler words.
//
// The named ones are those whose UA has none of the generic words. The
// generic words are matched the way matomo's device-detector does (its
// "Generic Bot" rule): bot, crawl, crawler, spider or archiver, in any
// case, not followed by a letter, where "bot" has exceptions for phone
// names: CUBOT, "Power Bot", "M Bot", "bot TAB", and model numbers such as
// "Bot 50".
func scanBot(ua string) bool {
	has := strings.HasPrefix
	for i := 0; i < len(ua); i++ {
		c := ua[i]
		if !botCandidate[c] {
			continue
		}
		rest := ua[i:]
		switch c {
		case 'f':
			if has(rest, "facebookexternalhit") {
				return true
			}
		case 'S':
			if has(rest, "SkypeUriPreview") || has(rest, "Slurp") {
				return true
			}
		case 'B':
			if has(rest, "BingPreview") {
				return true
			}
		case 'M':
			if has(rest, "MicrosoftPreview") || has(rest, "Mediapartners-Google") {
				return true
			}
		case 'm':
			if has(rest, "meta-external") {
				return true
			}
		case 'G':
			if has(rest, "Google-InspectionTool") || has(rest, "Google-Read-Aloud") ||
				has(rest, "Google-PageRenderer") || has(rest, "Google Web Preview") {
				return true
			}
		case 'C':
			if has(rest, "Chrome-Lighthouse") {
				return true
			}
		case 'H':
			if has(rest, "HeadlessChrome") {
				return true
			}
		case 'I':
			if has(rest, "Iframely") {
				return true
			}
		case 'E':
			if has(rest, "Embedly") {
				return true
			}
		case 'v':
			if has(rest, "vkShare") {
				return true
			}
		}
		if botWordAt(ua, i) {
			return true
		}
	}
	return false
}

// botWordAt reports whether a generic crawler word starts at ua[i].
func botWordAt(ua string, i int) bool {
	rest := ua[i:]
	var n int
	switch lower(ua[i]) {
	case 'b':
		if !hasPrefixFold(rest, "bot") || excludedBot(ua, i) {
			return false
		}
		n = len("bot")
	case 'c':
		if !hasPrefixFold(rest, "crawl") {
			return false
		}
		n = len("crawl")
		if hasPrefixFold(rest[n:], "er") {
			n += len("er")
		}
	case 's':
		if !hasPrefixFold(rest, "spider") {
			return false
		}
		n = len("spider")
	case 'a':
		if !hasPrefixFold(rest, "archiver") {
			return false
		}
		n = len("archiver")
	default:
		return false
	}
	return n == len(rest) || !isLetter(rest[n])
}

// excludedBot reports whether the "bot" at ua[i:] is part of a device name
// rather than a crawler's.
func excludedBot(ua string, i int) bool {
	before := ua[:i]
	for _, p := range [...]string{"cu", "power ", "power_", "m ", "m_"} {
		if len(before) >= len(p) && hasPrefixFold(before[len(before)-len(p):], p) {
			return true
		}
	}
	after := ua[i+len("bot"):]
	if len(after) > 0 && (after[0] == ' ' || after[0] == '_') {
		rest := after[1:]
		if hasPrefixFold(rest, "tab") || hasPrefixFold(rest, "senior") || hasPrefixFold(rest, "junior") {
			return true
		}
		after = rest
	}
	return len(after) >= 2 && after[0] == '5' && '0' <= after[1] && after[1] <= '9'
}
