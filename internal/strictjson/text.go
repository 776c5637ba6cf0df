package strictjson

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// CheckText checks that data is one JSON value whose text is whole: valid
// UTF-8, and no lone surrogate escapes. For bodies decoded some other way
// (a merge patch).
func CheckText(data []byte) error {
	tree, err := parse(data)
	if err != nil {
		return err
	}
	return checkText(data, tree)
}

func checkText(data []byte, tree any) error {
	if !utf8.Valid(data) {
		return &Error{Field: badText(tree, ""), Message: "is not valid UTF-8 text: send UTF-8 (was it saved in another encoding, such as GBK?)"}
	}
	if !bytes.Contains(data, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`)) {
		// Valid UTF-8 whose decoding holds U+FFFD the bytes do not: a
		// \ud83d escape without its pair (a string cut in an emoji).
		if field := badText(tree, ""); field != "" || hasBadText(tree) {
			return &Error{Field: field, Message: "holds half of a character (a lone \\uD800–\\uDFFF escape): send whole characters"}
		}
	}
	return nil
}

// hasBadText reports whether a key or string of tree holds U+FFFD (badText
// names "" for the body's root string).
func hasBadText(node any) bool {
	s, ok := node.(string)
	return ok && strings.ContainsRune(s, utf8.RuneError)
}

// badText is the path of the first key or string in tree that holds U+FFFD,
// which is what encoding/json made of the invalid UTF-8 in it.
func badText(node any, path string) string {
	switch n := node.(type) {
	case string:
		if strings.ContainsRune(n, utf8.RuneError) {
			return path
		}
	case map[string]any:
		for k, v := range n {
			if strings.ContainsRune(k, utf8.RuneError) {
				return join(path, k)
			}
			if p := badText(v, join(path, k)); p != "" {
				return p
			}
		}
	case []any:
		for i, v := range n {
			if p := badText(v, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}
