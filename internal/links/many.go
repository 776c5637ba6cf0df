package links

import "context"

// readBatch is the most links one pipelined read asks for: large enough to
// make a round trip worth it, small enough to keep Redis's reply buffer and
// ours modest.
const readBatch = 1000

// GetMany returns tenant's links for codes, as Get does for each, read
// fresh from Redis in pipelined batches. out[i] is the link of codes[i], or
// nil where Get would return ErrNotFound: unknown, deleted, another
// tenant's or not a code at all, indistinguishably.
func (s *Store) GetMany(ctx context.Context, tenant string, codes []string) ([]*Link, error) {
	out := make([]*Link, len(codes))
	for start := 0; start < len(codes); start += readBatch {
		batch := codes[start:min(start+readBatch, len(codes))]
		keys := make([]string, 0, len(batch))
		at := make([]int, 0, len(batch)) // index in out of each key
		for i, code := range batch {
			if ValidCode(code) {
				keys = append(keys, Canonical(code))
				at = append(at, start+i)
			}
		}
		links, err := s.readKeys(ctx, keys)
		if err != nil {
			return nil, err
		}
		for i, l := range links {
			if l != nil && l.Tenant == tenant && l.DeletedAt == nil {
				out[at[i]] = l
			}
		}
	}
	return out, nil
}
