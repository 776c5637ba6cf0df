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
// throughout. Anything else is returned as sent: a cell that is not UTF-8
// then fails its row, naming the column (links.DecodeCSV).
func csvBody(data []byte, contentType string) ([]byte, error) {
	_, params, _ := mime.ParseMediaType(contentType)
	charset := strings.ToLower(strings.TrimSpace(params["charset"]))
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, fmt.Errorf("%w: this CSV is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" or plain CSV", errUnsupportedMT)
	}
	switch charset {
	case "", "utf-8", "utf8":
		if charset != "" || utf8.Valid(data) {
			return data, nil
		}
		if text, ok := fromGB18030(data); ok {
			return text, nil
		}
		return data, nil
	case "gb18030", "gbk", "gb2312", "cp936", "x-gbk", "euc-cn":
		text, _ := fromGB18030(data)
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
