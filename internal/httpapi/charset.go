package httpapi

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// csvBody returns a CSV body as UTF-8 text. Excel in China saves "CSV" in
// the system code page, GBK, of which GB18030 is the superset: a body
// whose Content-Type says so (charset=gb18030, gbk, gb2312) is decoded,
// and so is one without a charset that is not UTF-8 but reads as GB18030
// throughout and reads more like GBK than UTF-8 (mostlyNotUTF8: a UTF-8
// file with one stray Latin-1 cell stays UTF-8: that row fails, the others
// keep their Chinese). Anything else is returned as sent: a cell that is not
// UTF-8 then fails its row, naming the column (links.DecodeCSV). With a
// declared charset, bytes that are not GB18030 fail their row the same way.
func csvBody(data []byte, contentType string) ([]byte, error) {
	_, params, _ := mime.ParseMediaType(contentType)
	charset := strings.ToLower(strings.TrimSpace(params["charset"]))
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, fmt.Errorf("%w: this CSV is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" or plain CSV", errUnsupportedMT)
	}
	switch charset {
	case "", "utf-8", "utf8":
		if charset != "" || utf8.Valid(data) || !mostlyNotUTF8(data) {
			return data, nil
		}
		if text, ok := fromGB18030(data); ok {
			return text, nil
		}
		return data, nil
	case "gb18030", "gbk", "gb2312", "cp936", "x-gbk", "euc-cn":
		text, ok := fromGB18030(data)
		if !ok {
			// U+FFFD where bytes were not GB18030: an invalid byte in its
			// place makes that row fail, naming its column.
			text = bytes.ReplaceAll(text, []byte("\uFFFD"), []byte{0xFF})
		}
		return text, nil
	}
	return nil, fmt.Errorf("%w: charset %q: send CSV as UTF-8 or GB18030 (GBK)", errUnsupportedMT, charset)
}

// fromGB18030 decodes GB18030 text; ok is false when some bytes are not
// GB18030 (they become U+FFFD).
func fromGB18030(data []byte) (text []byte, ok bool) {
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return data, false
	}
	return text, !bytes.ContainsRune(text, utf8.RuneError)
}

// mostlyNotUTF8 reports whether data reads more like GBK than like UTF-8
// with a stray byte or two. Read as UTF-8, GBK text gives invalid bytes
// and two-byte sequences (Chinese pairs such as D2 BB, 一, happen to be
// valid UTF-8 for U+0080–U+07FF: Latin, Greek, Cyrillic), rarely the
// three-byte sequences of Chinese in UTF-8; a UTF-8 file has those, and
// a stray byte is one invalid byte among them.
func mostlyNotUTF8(data []byte) bool {
	gbk, utf := 0, 0
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		switch {
		case r == utf8.RuneError && n == 1, n == 2:
			gbk += n
		case n > 2:
			utf += n
		}
		data = data[n:]
	}
	return gbk > utf
}
