package platform

// The identifier formats below are conventions observed across SDKs and
// docs, not rules the platforms publish (platforms.md §11). They are
// checked when a link is written, so a typo is refused with a message
// instead of being printed on a thousand codes that open nothing.

// ValidWeChatAppID reports whether id looks like a WeChat mini-program
// AppID: "wx" and 16 lowercase hex digits. WeChat issues them in lowercase.
func ValidWeChatAppID(id string) bool {
	return len(id) == 18 && id[:2] == "wx" && allLowerHex(id[2:])
}

// ValidAlipayAppID reports whether id is an Alipay AppID: 16 digits
// [OFFICIAL]. Real ones start with "20", but that is only an observation.
func ValidAlipayAppID(id string) bool {
	return len(id) == 16 && allDigits(id)
}

// ValidBaiduAppKey reports whether key looks like a Baidu smart-program
// appKey: 32 ASCII letters and digits, in both cases.
func ValidBaiduAppKey(key string) bool {
	if len(key) != 32 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !isLetter(key[i]) && !isDigit(key[i]) {
			return false
		}
	}
	return true
}

// ValidDouyinAppID reports whether id looks like a ByteDance mini-program
// AppID: "tt" and 16 or 18 lowercase hex digits (both lengths are seen).
// Upper case is refused rather than tolerated: every observed ID is
// lowercase, the host compares IDs as strings, and a refusal at write time
// costs a retype where a wrong guess would cost a print run.
func ValidDouyinAppID(id string) bool {
	n := len(id) - 2
	return (n == 16 || n == 18) && id[:2] == "tt" && allLowerHex(id[2:])
}

// ValidQQAppID reports whether id looks like a QQ mini-program AppID: 8 to
// 12 digits (10 is the common length).
func ValidQQAppID(id string) bool {
	return len(id) >= 8 && len(id) <= 12 && allDigits(id)
}

// ValidKuaishouAppID reports whether id looks like a Kuaishou mini-program
// AppID: "ks" and 18 digits.
func ValidKuaishouAppID(id string) bool {
	return len(id) == 20 && id[:2] == "ks" && allDigits(id[2:])
}

// maxPagePath bounds a page path. Paths name files in the mini program's
// package; WeChat's wxacode.get caps page and query together at 128 bytes,
// so 256 for the page alone is generous.
const maxPagePath = 256

// ValidPagePath reports whether p can be used as a mini-program page path on
// every host: 1 to 256 bytes, segments separated by single "/", each made
// of A–Z a–z 0–9 - . _ ~ and none of them "." or "..". This rules out a
// scheme ("https:"), a leading "//", a query ("?"), a fragment ("#"),
// spaces, "%" and control characters, none of which a page file name needs
// and all of which some host would misread.
//
// One leading "/" is tolerated: Alipay accepts it, and the builders drop
// it for the hosts that do not (see launch.go). The empty path, meaning
// the home page, is the caller's decision, not a page path.
func ValidPagePath(p string) bool {
	if len(p) > maxPagePath {
		return false
	}
	if len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	if p == "" {
		return false
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			if !pathChar(p[i]) {
				return false
			}
			continue
		}
		seg := p[start:i]
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		start = i + 1
	}
	return true
}

// pathChar reports whether c is an RFC 3986 unreserved character, the set
// that never needs escaping.
func pathChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func allLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}
