package routing

import "github.com/scangate/scangate/internal/links"

// Bucket places a visitor in the splits of a link: the same visitor id and
// code give the same bucket, different codes independent ones. visitor is
// the day's visitor id (internal/stats), which changes every day, so a
// visitor keeps a variant for the day.
func Bucket(visitor, code string) uint64 {
	// FNV-1a, then a 64-bit finalizer so that the low bits used by the
	// modulo are as well mixed as the high ones.
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(visitor); i++ {
		h = (h ^ uint64(visitor[i])) * prime
	}
	h = (h ^ 0xff) * prime
	for i := 0; i < len(code); i++ {
		h = (h ^ uint64(code[i])) * prime
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// pick returns the variant of bucket, by weight; nil when every weight is 0.
func pick(s *links.Split, bucket uint64) *links.Variant {
	total := 0
	for _, v := range s.Variants {
		total += v.Weight
	}
	if total == 0 {
		return nil
	}
	x := int(bucket % uint64(total))
	for i := range s.Variants {
		if x -= s.Variants[i].Weight; x < 0 {
			return &s.Variants[i]
		}
	}
	return nil
}

// NeedsVisitor reports whether deciding a scan of l needs the visitor's
// bucket, or counting it the visitor's id: links with a split or a
// per-visitor limit.
func NeedsVisitor(l *links.Link) bool {
	return l != nil && (l.Split != nil || l.MaxScansPerVisitor != nil)
}
