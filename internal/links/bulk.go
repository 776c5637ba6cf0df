package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// MaxBulkRows is the most links one bulk request may create.
const MaxBulkRows = 10_000

// bulkChunk is how many rows share one pipelined round trip.
const bulkChunk = 500

// RowError is the failure of one bulk row. Row counts data rows from 1.
type RowError struct {
	Row int
	Err error
}

// BulkResult reports a bulk import: every row is either wholly created (in
// Items) or not at all (in Failed).
type BulkResult struct {
	Created int
	// Updated and Unchanged count the rows of an Upsert that met one of
	// the tenant's links.
	Updated, Unchanged int
	Failed             []RowError
	Items              []*Link
}

// ErrTooManyRows is returned for a bulk request over MaxBulkRows.
var ErrTooManyRows error = &LimitError{Message: fmt.Sprintf("a bulk request may hold at most %d rows", MaxBulkRows)}

// Bulk creates many links for tenant. decodeErrs[i], when non-nil, is why
// row i could not be decoded; such rows fail without touching the store.
// A bad row never stops the good ones.
func (s *Store) Bulk(ctx context.Context, tenant string, rows []Input, decodeErrs []error, a Actor) (BulkResult, error) {
	if len(rows) > MaxBulkRows {
		return BulkResult{}, ErrTooManyRows
	}
	if err := a.check(); err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Items: []*Link{}, Failed: []RowError{}}
	for start := 0; start < len(rows); start += bulkChunk {
		end := min(start+bulkChunk, len(rows))
		s.bulkChunk(ctx, tenant, rows[start:end], decodeErrs, start, a, &res)
	}
	res.Created = len(res.Items)
	slices.SortFunc(res.Failed, func(a, b RowError) int { return a.Row - b.Row })
	return res, nil
}

// bulkChunk creates the links of rows (from row offset+1 on) in res.
func (s *Store) bulkChunk(ctx context.Context, tenant string, rows []Input, decodeErrs []error, offset int, a Actor, res *BulkResult) {
	now := s.now().UTC()
	var ls []*Link
	var at []int // row of each of ls
	for i := range rows {
		row := offset + i + 1
		if offset+i < len(decodeErrs) && decodeErrs[offset+i] != nil {
			res.Failed = append(res.Failed, RowError{Row: row, Err: decodeErrs[offset+i]})
			continue
		}
		l, err := prepare(tenant, rows[i], now)
		if err != nil {
			res.Failed = append(res.Failed, RowError{Row: row, Err: err})
			continue
		}
		ls, at = append(ls, l), append(at, row)
	}
	for k, err := range s.insertAll(ctx, ls, a) {
		if err != nil {
			res.Failed = append(res.Failed, RowError{Row: at[k], Err: err})
		} else {
			res.Items = append(res.Items, ls[k])
		}
	}
}

// IsRowInternal reports whether a row failed for a reason other than its
// content (the store was unavailable).
func IsRowInternal(err error) bool {
	var qe *QuotaError
	return !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrExists) && !errors.As(err, &qe)
}

// Upsert is Bulk that updates the tenant's existing links instead of
// refusing their codes: a row whose code is one of the tenant's live links
// replaces that link's fields (a version in its history; a row equal to
// the link changes nothing), except its rules, split and visitor limit
// when the row has none (a CSV row cannot: they have no columns); any
// other row is created. Codes another tenant holds, or in the tenant's
// trash, fail as in Bulk.
func (s *Store) Upsert(ctx context.Context, tenant string, rows []Input, decodeErrs []error, a Actor) (BulkResult, error) {
	if len(rows) > MaxBulkRows {
		return BulkResult{}, ErrTooManyRows
	}
	if err := a.check(); err != nil {
		return BulkResult{}, err
	}
	keys := make([]string, len(rows))
	for i, in := range rows {
		if (i >= len(decodeErrs) || decodeErrs[i] == nil) && ValidCode(in.Code) {
			keys[i] = Canonical(in.Code)
		}
	}
	existing := make([]*Link, len(rows))
	for start := 0; start < len(rows); start += readBatch {
		end := min(start+readBatch, len(rows))
		ls, err := s.readKeys(ctx, keys[start:end])
		if err != nil {
			return BulkResult{}, err
		}
		copy(existing[start:end], ls)
	}
	// New codes go through Bulk; a row of an existing link is left out of
	// it (as an empty row that is not counted).
	var createRows []Input
	var createErrs []error
	var createAt []int
	res := BulkResult{Items: []*Link{}, Failed: []RowError{}}
	for i, in := range rows {
		l := existing[i]
		if keys[i] == "" || l == nil || l.Tenant != tenant || l.DeletedAt != nil {
			createRows, createAt = append(createRows, in), append(createAt, i)
			if i < len(decodeErrs) {
				createErrs = append(createErrs, decodeErrs[i])
			} else {
				createErrs = append(createErrs, nil)
			}
			continue
		}
		if same, err := sameFields(l, upsertRow(in, l.Input)); err == nil && same {
			res.Unchanged++
			continue
		}
		updated, err := s.Update(ctx, tenant, in.Code, Change{Actor: a, Edit: func(e *Input) error {
			next := upsertRow(in, *e)
			next.Code = e.Code
			*e = next
			return nil
		}})
		if err != nil {
			res.Failed = append(res.Failed, RowError{Row: i + 1, Err: err})
			continue
		}
		res.Updated++
		res.Items = append(res.Items, updated)
	}
	if len(createRows) > 0 {
		created, err := s.Bulk(ctx, tenant, createRows, createErrs, a)
		if err != nil {
			return res, err
		}
		res.Created = created.Created
		res.Items = append(res.Items, created.Items...)
		for _, f := range created.Failed {
			res.Failed = append(res.Failed, RowError{Row: createAt[f.Row-1] + 1, Err: f.Err})
		}
	}
	slices.SortFunc(res.Failed, func(a, b RowError) int { return a.Row - b.Row })
	return res, nil
}

// upsertRow is an upsert row as it would leave a link whose fields are
// cur: cur's rules, split and visitor limit where the row has none.
func upsertRow(in, cur Input) Input {
	if in.Rules == nil {
		in.Rules = cur.Rules
	}
	if in.Split == nil {
		in.Split = cur.Split
	}
	if in.MaxScansPerVisitor == nil {
		in.MaxScansPerVisitor = cur.MaxScansPerVisitor
	}
	return in
}

// sameFields reports whether in, once normalized, says what l has.
func sameFields(l *Link, in Input) (bool, error) {
	if err := in.normalize(); err != nil {
		return false, err
	}
	cur, err := l.editable()
	if err != nil {
		return false, err
	}
	in.Code = cur.Code
	a, err := json.Marshal(cur)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(in)
	return string(a) == string(b), err
}
