package links

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// CSV import: a header row, then one link per row. Columns:
//
//	code, title, campaign, tags (separated by '|'), fallback_url, status,
//	starts_at, expires_at (RFC 3339), max_scans,
//	params.<key>, targets.<platform>.<field> (the JSON field names)
//
// Each cell sets its field as the JSON API would (csvColumns), and rows
// are validated by exactly the rules of the JSON API. Empty cells are
// absent fields; a target is present when any of its cells is non-empty.

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
		case strings.HasPrefix(col, "params."):
			if !paramKey.MatchString(strings.TrimPrefix(col, "params.")) {
				return invalid(col, "CSV column has a bad param name")
			}
		case csvColumns[col].set == nil:
			return invalid(col, "unknown CSV column")
		case strings.HasPrefix(col, "targets."):
			hasTarget = true
		}
	}
	if !hasTarget && needTargets {
		return invalid("targets", "the CSV header has no targets.<platform>.<field> column")
	}
	return nil
}

func csvRow(header, rec []string) (Input, error) {
	set, err := csvCells(header, rec)
	if err != nil {
		return Input{}, err
	}
	var in Input
	if err := set(&in); err != nil {
		return Input{}, err
	}
	return in, nil
}

// csvCells reads a CSV row as the change its non-empty cells make to a
// link's fields; a cell that cannot be read fails here.
func csvCells(header, rec []string) (func(*Input) error, error) {
	if len(rec) != len(header) {
		return nil, &MalformedError{Message: fmt.Sprintf("row has %d cells; the header has %d", len(rec), len(header))}
	}
	type cell struct {
		col, v string
	}
	var cells []cell
	for i, col := range header {
		v := fromSpreadsheet(rec[i])
		if !utf8.ValidString(v) {
			return nil, invalid(col, "is not valid UTF-8 text: save the file as \"CSV UTF-8\", or send it as GB18030 (GBK)")
		}
		if v != "" {
			cells = append(cells, cell{col, v})
		}
	}
	set := func(in *Input) error {
		for _, c := range cells {
			if key, ok := strings.CutPrefix(c.col, "params."); ok {
				if in.Params == nil {
					in.Params = map[string]string{}
				}
				in.Params[key] = c.v
				continue
			}
			if err := csvColumns[c.col].set(in, c.v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := set(&Input{}); err != nil {
		return nil, err
	}
	return set, nil
}

// Edit is one row of a bulk edit: a code and the change to its fields, or
// why the row could not be read.
type Edit struct {
	Code string
	Edit func(*Input) error
	Err  error
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
		if codeCol < len(rec) {
			e.Code = fromSpreadsheet(rec[codeCol])
		}
		e.Edit, e.Err = csvCells(header, rec)
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
	header := slices.Clone(csvColumnOrder[:9]) // code … max_scans
	for _, k := range paramKeys {
		header = append(header, "params."+k)
	}
	header = append(header, csvColumnOrder[9:]...)
	cw := &CSVWriter{w: csv.NewWriter(w), header: header}
	return cw, cw.w.Write(header)
}

// Write writes one link.
func (c *CSVWriter) Write(l *Link) error {
	rec := make([]string, len(c.header))
	for i, col := range c.header {
		if key, ok := strings.CutPrefix(col, "params."); ok {
			rec[i] = spreadsheetSafe(l.Params[key])
		} else {
			rec[i] = spreadsheetSafe(csvColumns[col].get(&l.Input))
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
