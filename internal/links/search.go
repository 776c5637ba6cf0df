package links

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Search matches a link when its code starts with the query (case folded)
// or when its title holds every term of the query: each Latin word as a
// whole word, each run of Chinese (or Japanese, Korean) characters as a
// substring. Text is compared folded (fold), so "ＣＯＦＦＥＥ" finds
// "Coffee". Scripts written without spaces other than Chinese, Japanese and
// Korean (Thai, Lao) are searched by whole run, as one word.
//
// The index (indexesOf) has an entry per title word (in one of wordLists
// lists, by a hash of the word) and per distinct CJK character, ordered
// like the tenant's list (newest first). A query walks
// the entry set of its rarest term and checks each link's title, so an
// entry left behind by a failed write never shows a wrong link.

// MaxQueryRunes bounds a search query.
const MaxQueryRunes = 100

// wordLists is how many lists a tenant's title words are spread over, by
// a hash of the word: a tenant has at most that many word keys, however
// many distinct words (order numbers, SKUs) its titles hold, and a rare
// word shares its list with about 1/wordLists of the others (a list by
// first characters would put every SKU of a series in one). Words are
// compared whole when checked.
const wordLists = 1 << 14

// wordToken is the index token of a folded word: its list's number.
func wordToken(w string) string {
	h := fnv.New32a()
	h.Write([]byte(w))
	return fmt.Sprintf("w:%04x", h.Sum32()%wordLists)
}

// search is a parsed query.
type search struct {
	code  string   // canonical code prefix, or "" when the query cannot start a code
	words []string // folded Latin (non-CJK) words
	runs  []string // folded runs of CJK characters
}

// parseSearch parses q; ok is false when q has nothing to search for.
func parseSearch(q string) (search, bool) {
	var s search
	if t := strings.TrimSpace(q); t != "" && len(t) <= maxCodeLen && codeChars(t) {
		s.code = Canonical(t)
	}
	s.words, s.runs = terms(fold(q))
	return s, s.code != "" || len(s.words)+len(s.runs) > 0
}

func codeChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// fold is the form text is compared in: NFKC (full-width letters and
// digits as ASCII, half-width katakana as full-width, an accent typed apart
// joined to its letter), then case folded (final sigma included).
func fold(s string) string {
	c := folders.Get().(*cases.Caser)
	defer folders.Put(c)
	return c.String(norm.NFKC.String(s))
}

// folders hold Casers, which keep state between calls and so are not
// shared by goroutines.
var folders = sync.Pool{New: func() any { c := cases.Fold(); return &c }}

// cjk reports whether r is written without spaces between words, so that
// it is searched by character.
func cjk(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// terms splits folded text into its words and its CJK runs, each once.
func terms(s string) (words, runs []string) {
	seen := map[string]bool{}
	add := func(list *[]string, t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			*list = append(*list, t)
		}
	}
	wordAt, runAt := -1, -1
	for i, r := range s {
		isCJK := cjk(r)
		inWord := !isCJK && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
		if !inWord && wordAt >= 0 {
			add(&words, s[wordAt:i])
			wordAt = -1
		}
		if !isCJK && runAt >= 0 {
			add(&runs, s[runAt:i])
			runAt = -1
		}
		switch {
		case inWord && wordAt < 0:
			wordAt = i
		case isCJK && runAt < 0:
			runAt = i
		}
	}
	if wordAt >= 0 {
		add(&words, s[wordAt:])
	}
	if runAt >= 0 {
		add(&runs, s[runAt:])
	}
	return words, runs
}

// tokens are the index tokens of the terms: one per word, one per distinct
// CJK character.
func tokens(words, runs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range words {
		t := wordToken(w)
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, run := range runs {
		for _, r := range run {
			t := "h:" + string(r)
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// titleTokens are the index tokens of a title.
func titleTokens(title string) []string {
	return tokens(terms(fold(title)))
}

// queryTokens are the tokens every title match has entries under.
func (s search) queryTokens() []string { return tokens(s.words, s.runs) }

func (s search) codeMatch(l *Link) bool {
	return s.code != "" && strings.HasPrefix(Canonical(l.Code), s.code)
}

func (s search) titleMatch(l *Link) bool {
	if len(s.words)+len(s.runs) == 0 || l.Title == "" {
		return false
	}
	title := fold(l.Title)
	words, _ := terms(title)
	for _, w := range s.words {
		if !contains(words, w) {
			return false
		}
	}
	for _, r := range s.runs {
		if !strings.Contains(title, r) {
			return false
		}
	}
	return true
}

func (s search) match(l *Link) bool { return s.codeMatch(l) || s.titleMatch(l) }
