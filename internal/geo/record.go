package geo

import "github.com/oschwald/maxminddb-golang/v2/mmdbdata"

// maxNameLen bounds what a database may make us hold of one name: GeoIP
// names are short, and a damaged or hostile file must not make a scan
// allocate much.
const maxNameLen = 256

// record is the part of a GeoIP2 City record that Lookup needs. It decodes
// itself from the database, reading these few fields and skipping the rest:
// decoding a whole record (every name of the continent, country, city and
// subdivisions in eight languages, the location...) costs ten times as
// much, and Lookup runs on every scan.
type record struct {
	country, registered string
	region, regionZH    string // the first subdivision
	city, cityZH        string
}

// UnmarshalMaxMindDBCursor implements mmdbdata.CursorUnmarshaler.
func (r *record) UnmarshalMaxMindDBCursor(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, err
	}
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			break
		}
		switch string(key) {
		case "country":
			r.country, next, err = isoCode(v)
		case "registered_country":
			r.registered, next, err = isoCode(v)
		case "city":
			r.city, r.cityZH, next, err = namesOf(v)
		case "subdivisions":
			next, err = r.subdivisions(v)
		default:
			next, err = v.Skip()
		}
		if err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	return m.End()
}

// subdivisions reads the names of the first (largest) subdivision: the
// province.
func (r *record) subdivisions(c mmdbdata.Cursor) (mmdbdata.Cursor, error) {
	s, err := c.Slice()
	if err != nil {
		return mmdbdata.Cursor{}, err
	}
	var next mmdbdata.Cursor
	for {
		i, v, ok := s.Next(next)
		if !ok {
			break
		}
		if i == 0 {
			r.region, r.regionZH, next, err = namesOf(v)
		} else {
			next, err = v.Skip()
		}
		if err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	return s.End()
}

// isoCode reads the iso_code of a country map.
func isoCode(c mmdbdata.Cursor) (code string, next mmdbdata.Cursor, err error) {
	next, err = eachField(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		if string(key) != "iso_code" {
			return v.Skip()
		}
		var n mmdbdata.Cursor
		code, n, err = v.ReadStringMaxSize(maxNameLen)
		return n, err
	})
	return code, next, err
}

// namesOf reads the English and Chinese names of a map that has "names".
func namesOf(c mmdbdata.Cursor) (en, zh string, next mmdbdata.Cursor, err error) {
	next, err = eachField(c, func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error) {
		if string(key) != "names" {
			return v.Skip()
		}
		return eachField(v, func(lang []byte, v mmdbdata.Cursor) (n mmdbdata.Cursor, err error) {
			switch string(lang) {
			case "en":
				en, n, err = v.ReadStringMaxSize(maxNameLen)
			case "zh-CN":
				zh, n, err = v.ReadStringMaxSize(maxNameLen)
			default:
				n, err = v.Skip()
			}
			return n, err
		})
	})
	return en, zh, next, err
}

// eachField calls fn with each key of the map at c and a cursor on its
// value; fn returns the cursor after the value.
func eachField(c mmdbdata.Cursor, fn func(key []byte, v mmdbdata.Cursor) (mmdbdata.Cursor, error)) (mmdbdata.Cursor, error) {
	m, err := c.Map()
	if err != nil {
		return mmdbdata.Cursor{}, err
	}
	var next mmdbdata.Cursor
	for {
		key, v, ok := m.Next(next)
		if !ok {
			break
		}
		if next, err = fn(key, v); err != nil {
			return mmdbdata.Cursor{}, err
		}
	}
	return m.End()
}
