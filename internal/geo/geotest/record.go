package geotest

import "github.com/maxmind/mmdbwriter/mmdbtype"

// Record is p as a GeoIP2 City record, with the fields and languages a
// GeoLite2 City record has, so that decoding it costs what decoding a real
// one does.
func (p Place) Record() mmdbtype.Map {
	rec := mmdbtype.Map{
		"continent": mmdbtype.Map{
			"code":       mmdbtype.String("AS"),
			"geoname_id": mmdbtype.Uint32(6255147),
			"names":      names("Asia", "亚洲"),
		},
		"location": mmdbtype.Map{
			"accuracy_radius": mmdbtype.Uint16(50),
			"latitude":        mmdbtype.Float64(31.2222),
			"longitude":       mmdbtype.Float64(121.4581),
			"time_zone":       mmdbtype.String("Asia/Shanghai"),
		},
	}
	country := mmdbtype.Map{"geoname_id": mmdbtype.Uint32(1814991), "iso_code": mmdbtype.String(p.Country),
		"names": names(p.Country+" (en)", p.Country+" (zh)")}
	rec["registered_country"] = country
	if p != Registered {
		rec["country"] = country
	}
	if p.Region != "" || p.RegionZH != "" {
		rec["subdivisions"] = mmdbtype.Slice{
			mmdbtype.Map{"geoname_id": mmdbtype.Uint32(1796231), "iso_code": mmdbtype.String("SH"), "names": names(p.Region, p.RegionZH)},
			mmdbtype.Map{"geoname_id": mmdbtype.Uint32(1796232), "iso_code": mmdbtype.String("XX"), "names": names(p.Region+" District", p.RegionZH+"区")},
		}
	}
	if p.City != "" || p.CityZH != "" {
		rec["city"] = mmdbtype.Map{"geoname_id": mmdbtype.Uint32(1796236), "names": names(p.City, p.CityZH)}
		rec["postal"] = mmdbtype.Map{"code": mmdbtype.String("200000")}
	}
	return rec
}

// names is a names map in English and Chinese (either left out when
// empty), and in the other languages of GeoLite2 when there is an English
// one.
func names(en, zh string) mmdbtype.Map {
	m := mmdbtype.Map{}
	if en != "" {
		m["en"] = mmdbtype.String(en)
		for _, lang := range []mmdbtype.String{"de", "es", "fr", "ja", "pt-BR", "ru"} {
			m[lang] = mmdbtype.String(en + " (" + string(lang) + ")")
		}
	}
	if zh != "" {
		m["zh-CN"] = mmdbtype.String(zh)
	}
	return m
}
