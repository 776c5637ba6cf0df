package links

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CSV import: a header row, then one link per row. Columns:
//
//	code, title, campaign, tags (separated by '|'), fallback_url, status,
//	starts_at, expires_at (RFC 3339), max_scans,
//	params.<key>, targets.<platform>.<field> (the JSON field names)
//
// Each row becomes the same JSON document a client could have sent, so CSV
// rows are validated by exactly the rules of the JSON API. Empty cells are
// absent fields; a target is present when any of its cells is non-empty.

var csvScalar = map[string]bool{
	"code": true, "title": true, "campaign": true, "tags": true, "fallback_url": true,
	"status": true, "starts_at": true, "expires_at": true, "max_scans": true,
}

var csvTargetFields = map[string]map[string]bool{
	"wechat":   {"appid": true, "path": true, "query": true, "env_version": true, "url_link": true, "url_link_expires_at": true},
	"alipay":   {"appid": true, "page": true, "query": true},
	"baidu":    {"appkey": true, "path": true, "query": true},
	"douyin":   {"appid": true, "path": true, "query": true},
	"qq":       {"appid": true, "path": true, "query": true},
	"kuaishou": {"appid": true, "path": true, "query": true},
	"web":      {"url": true},
}

// DecodeCSV reads a CSV bulk body. A bad row yields a row error; only a bad
// header, broken quoting or too many rows fail the whole body.
func DecodeCSV(r io.Reader) ([]Input, []error, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, &MalformedError{Message: "CSV body is empty: a header row is required"}
	}
	if err != nil {
		return nil, nil, csvError(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet exports start with a BOM
	}
	if err := checkCSVHeader(header, true); err != nil {
		return nil, nil, err
	}
	var ins []Input
	var errs []error
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return ins, errs, nil
		}
		if err != nil {
			return nil, nil, csvError(err)
		}
		if len(ins) == MaxBulkRows {
			return nil, nil, ErrTooManyRows
		}
		in, rowErr := csvRow(header, rec)
		ins = append(ins, in)
		errs = append(errs, rowErr)
	}
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &MalformedError{Message: fmt.Sprintf("CSV line %d: %v", pe.Line, pe.Err)}
	}
	return &MalformedError{Message: "CSV body could not be read"}
}

func checkCSVHeader(header []string, needTargets bool) error {
	seen := map[string]bool{}
	hasTarget := false
	for _, col := range header {
		if seen[col] {
			return invalid(col, "CSV column appears twice")
		}
		seen[col] = true
		switch {
		case csvScalar[col]:
		case strings.HasPrefix(col, "params."):
			if !paramKey.MatchString(strings.TrimPrefix(col, "params.")) {
				return invalid(col, "CSV column has a bad param name")
			}
		case strings.HasPrefix(col, "targets."):
			platform, field, _ := strings.Cut(strings.TrimPrefix(col, "targets."), ".")
			if !csvTargetFields[platform][field] {
				return invalid(col, "unknown CSV column")
			}
			hasTarget = true
		default:
			return invalid(col, "unknown CSV column")
		}
	}
	if !hasTarget && needTargets {
		return invalid("targets", "the CSV header has no targets.<platform>.<field> column")
	}
	return nil
}

func csvRow(header, rec []string) (Input, error) {
	doc, err := csvDoc(header, rec)
	if err != nil {
		return Input{}, err
	}
	if doc["targets"] == nil {
		doc["targets"] = map[string]map[string]any{}
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(doc); err != nil {
		return Input{}, err
	}
	return DecodeInput(buf.Bytes())
}

// csvDoc is a CSV row as the JSON document of the fields its non-empty
// cells set.
func csvDoc(header, rec []string) (map[string]any, error) {
	if len(rec) != len(header) {
		return nil, &MalformedError{Message: fmt.Sprintf("row has %d cells; the header has %d", len(rec), len(header))}
	}
	doc := map[string]any{}
	params := map[string]any{}
	targets := map[string]map[string]any{}
	for i, col := range header {
		v := fromSpreadsheet(rec[i])
		if v == "" {
			continue
		}
		switch {
		case col == "tags":
			tags := []string{}
			for _, t := range strings.Split(v, "|") {
				if t = strings.TrimSpace(t); t != "" {
					tags = append(tags, t)
				}
			}
			doc["tags"] = tags
		case col == "max_scans":
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return nil, invalid("max_scans", "must be a whole number")
			}
			doc["max_scans"] = n
		case col == "starts_at" || col == "expires_at":
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				return nil, invalid(col, "must be an RFC 3339 time, e.g. 2027-01-01T00:00:00Z")
			}
			doc[col] = v
		case strings.HasPrefix(col, "params."):
			params[strings.TrimPrefix(col, "params.")] = v
		case strings.HasPrefix(col, "targets."):
			platform, field, _ := strings.Cut(strings.TrimPrefix(col, "targets."), ".")
			if targets[platform] == nil {
				targets[platform] = map[string]any{}
			}
			targets[platform][field] = v
		default:
			doc[col] = v
		}
	}
	if len(params) > 0 {
		doc["params"] = params
	}
	if len(targets) > 0 {
		doc["targets"] = targets
	}
	return doc, nil
}

// Edit is one row of a bulk edit: a code and the JSON merge patch of the
// fields to change, or why the row could not be read.
type Edit struct {
	Code  string
	Patch []byte
	Err   error
}

// DecodeCSVEdits reads a CSV bulk edit: the bulk create's columns with
// code; each row's non-empty cells are the fields it changes (an empty
// cell leaves its field as it is). Only a bad header, broken quoting or
// too many rows fail the whole body.
func DecodeCSVEdits(r io.Reader) ([]Edit, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &MalformedError{Message: "CSV body is empty: a header row is required"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	if err := checkCSVHeader(header, false); err != nil {
		return nil, err
	}
	codeCol := -1
	for i, col := range header {
		if col == "code" {
			codeCol = i
		}
	}
	if codeCol < 0 {
		return nil, invalid("code", "a bulk edit's CSV header needs a code column")
	}
	var edits []Edit
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return edits, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		if len(edits) == MaxBulkRows {
			return nil, ErrTooManyRows
		}
		var e Edit
		doc, err := csvDoc(header, rec)
		if err == nil {
			e.Code, _ = doc["code"].(string)
			e.Patch, err = json.Marshal(doc)
		}
		e.Err = err
		edits = append(edits, e)
	}
}

// CSVWriter writes links in the bulk create's CSV layout, so that an
// export edited in a spreadsheet can be sent back (bulk create with
// mode=upsert, or a bulk edit). Rules, splits and visitor limits have no
// columns: they are in the JSONL export only.
type CSVWriter struct {
	w      *csv.Writer
	header []string
}

// NewCSVWriter starts a CSV export whose params columns are paramKeys,
// with a byte-order mark so that spreadsheets read it as UTF-8.
func NewCSVWriter(w io.Writer, paramKeys []string) (*CSVWriter, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	header := []string{"code", "title", "campaign", "tags", "fallback_url", "status", "starts_at", "expires_at", "max_scans"}
	for _, k := range paramKeys {
		header = append(header, "params."+k)
	}
	for _, p := range []string{"wechat", "alipay", "baidu", "douyin", "qq", "kuaishou", "web"} {
		fields := make([]string, 0, len(csvTargetFields[p]))
		for f := range csvTargetFields[p] {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		for _, f := range fields {
			header = append(header, "targets."+p+"."+f)
		}
	}
	cw := &CSVWriter{w: csv.NewWriter(w), header: header}
	return cw, cw.w.Write(header)
}

// Write writes one link.
func (c *CSVWriter) Write(l *Link) error {
	in, err := l.editable()
	if err != nil {
		return err
	}
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	rec := make([]string, len(c.header))
	for i, col := range c.header {
		var v any
		switch {
		case strings.HasPrefix(col, "params."):
			v = l.Params[strings.TrimPrefix(col, "params.")]
		case strings.HasPrefix(col, "targets."):
			p, f, _ := strings.Cut(strings.TrimPrefix(col, "targets."), ".")
			t, _ := doc["targets"].(map[string]any)
			pt, _ := t[p].(map[string]any)
			v = pt[f]
		case col == "tags":
			v = strings.Join(l.Tags, "|")
		default:
			v = doc[col]
		}
		switch x := v.(type) {
		case nil:
		case string:
			rec[i] = spreadsheetSafe(x)
		case float64:
			rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			rec[i] = fmt.Sprint(x)
		}
	}
	return c.w.Write(rec)
}

// spreadsheetSafe keeps a spreadsheet from reading a cell as a formula:
// one that starts with = + - @ or a tab gets a leading ', which csvDoc
// takes off again when the file comes back.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// fromSpreadsheet undoes spreadsheetSafe.
func fromSpreadsheet(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// Flush ends the export.
func (c *CSVWriter) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
