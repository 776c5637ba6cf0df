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

// botTokens are crawlers and link previewers whose UA contains none of the
// generic words that isBot looks for (bot, spider, crawl, archiver).
var botTokens = [...]string{
	"facebookexternalhit",
	"SkypeUriPreview",
	"BingPreview",
	"MicrosoftPreview",
	"meta-external",
	"Google-InspectionTool",
	"Google-Read-Aloud",
	"Google-PageRenderer",
	"Google Web Preview",
	"Mediapartners-Google",
	"Chrome-Lighthouse",
	"HeadlessChrome",
	"Slurp",
	"Iframely",
	"Embedly",
	"vkShare",
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
	if isWhatsAppPreviewer(ua) {
		return true
	}
	for _, t := range botTokens {
		if strings.Contains(ua, t) {
			return true
		}
	}
	return hasBotWord(ua)
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

// hasBotWord looks for the generic crawler words the way matomo's
// device-detector does (its "Generic Bot" rule): bot, crawl, crawler,
// spider or archiver, in any case, not followed by a letter. "bot" has
// exceptions for phone names: CUBOT, "Power Bot", "M Bot", "bot TAB", and
// model numbers such as "Bot 50".
//
// One pass over ua, switching on the first letter, keeps this cheaper than
// one search per word.
func hasBotWord(ua string) bool {
	for i := 0; i < len(ua); i++ {
		var end int
		switch lower(ua[i]) {
		case 'b':
			if !hasPrefixFold(ua[i:], "bot") || excludedBot(ua, i) {
				continue
			}
			end = i + len("bot")
		case 'c':
			if !hasPrefixFold(ua[i:], "crawl") {
				continue
			}
			end = i + len("crawl")
			if hasPrefixFold(ua[end:], "er") {
				end += len("er")
			}
		case 's':
			if !hasPrefixFold(ua[i:], "spider") {
				continue
			}
			end = i + len("spider")
		case 'a':
			if !hasPrefixFold(ua[i:], "archiver") {
				continue
			}
			end = i + len("archiver")
		default:
			continue
		}
		if end == len(ua) || !isLetter(ua[end]) {
			return true
		}
	}
	return false
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
