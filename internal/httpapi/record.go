package httpapi

import (
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
	"github.com/scangate/scangate/internal/routing"
	"github.com/scangate/scangate/internal/stats"
)

// event describes what a request did to a link, at the time it happened
// (not when the writer gets to it), and where: the place is looked up once,
// on the request path. The code is canonical so the link's stats keys
// share its Cluster slot. The client address is only carried to the
// writer, which hashes it; it is never stored.
func (s *Server) event(c echo.Context, l *links.Link, client platform.Client, at time.Time, ip netip.Addr, loc geo.Location, typ stats.EventType, channel string, value int64) stats.Event {
	return stats.Event{
		Time:      at,
		Type:      typ,
		Code:      links.Canonical(l.Code),
		Tenant:    l.Tenant,
		Campaign:  l.Campaign,
		Platform:  client.App.String(),
		OS:        client.OS.String(),
		Channel:   channel,
		Country:   loc.Country,
		Region:    loc.RegionName(),
		City:      loc.CityName(),
		IP:        ip,
		UserAgent: boundedUA(c.Request().UserAgent()),
		Value:     value,
	}
}

// clientIP is the client's address as the trusted-proxy configuration
// sees it (clientAddrs).
func (s *Server) clientIP(c echo.Context) netip.Addr { return s.addrs.client(c.Request()) }

// recordScan hands a scan to the recorder, with the rule or variant that
// took it: a non-blocking send, so a slow or absent Redis never slows a
// scan. A full queue drops the event and the recorder counts it.
func (s *Server) recordScan(c echo.Context, l *links.Link, sc *scanRequest, d *routing.Decision, channel string) {
	s.metrics.scans[sc.req.Client.App].Inc()
	e := s.event(c, l, sc.req.Client, sc.req.Time, sc.ip, sc.req.Geo, stats.Scan, channel, 1)
	e.Rule, e.Variant, e.Visitor = d.Rule, d.Variant, sc.visitor
	s.deps.Recorder.Record(e)
}

// recordEvent records an open or a conversion; false means the queue was
// full and the client should retry.
func (s *Server) recordEvent(c echo.Context, l *links.Link, client platform.Client, typ, variant string, value int64) bool {
	t := stats.Open
	if typ == "conversion" {
		t = stats.Conversion
	}
	ip := s.clientIP(c)
	e := s.event(c, l, client, s.now(), ip, s.deps.Geo.Lookup(ip), t, stats.ChannelApp, value)
	e.Variant = variant
	return s.deps.Recorder.Record(e)
}

// maxRecordedUA bounds what one queued event holds of the User-Agent, so a
// full queue stays small even when clients send 64 KiB headers; the writer
// keeps no more than this anyway.
const maxRecordedUA = 512

func boundedUA(ua string) string {
	if len(ua) <= maxRecordedUA {
		return ua
	}
	// A copy, so the queue does not keep the whole header alive.
	return strings.Clone(ua[:maxRecordedUA])
}
