package httpapi

import (
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
	"github.com/scangate/scangate/internal/stats"
)

// event describes what a request did to a link, at the time it happened
// (not when the writer gets to it). The code is canonical so the link's
// stats keys share its Cluster slot. The client address is only carried to
// the writer, which hashes it; it is never stored.
func (s *Server) event(c echo.Context, l *links.Link, client platform.Client, typ stats.EventType, channel string, value int64) stats.Event {
	ip, _ := netip.ParseAddr(c.RealIP())
	return stats.Event{
		Time:      s.now(),
		Type:      typ,
		Code:      links.Canonical(l.Code),
		Tenant:    l.Tenant,
		Campaign:  l.Campaign,
		Platform:  client.App.String(),
		OS:        client.OS.String(),
		Channel:   channel,
		IP:        ip,
		UserAgent: boundedUA(c.Request().UserAgent()),
		Value:     value,
	}
}

// recordScan hands a gateway scan to the recorder: a non-blocking send, so
// a slow or absent Redis never slows a scan. A full queue drops the event
// and the recorder counts it.
func (s *Server) recordScan(c echo.Context, l *links.Link, client platform.Client) {
	s.metrics.scans[client.App].Inc()
	s.deps.Recorder.Record(s.event(c, l, client, stats.Scan, stats.ChannelGateway, 1))
}

// recordAppScan records a scan the mini program reported (the host app's
// scanner opened it without asking the gateway).
func (s *Server) recordAppScan(c echo.Context, l *links.Link, client platform.Client) {
	s.metrics.scans[client.App].Inc()
	s.deps.Recorder.Record(s.event(c, l, client, stats.Scan, stats.ChannelApp, 1))
}

// recordEvent records an open or a conversion; false means the queue was
// full and the client should retry.
func (s *Server) recordEvent(c echo.Context, l *links.Link, client platform.Client, typ string, value int64) bool {
	t := stats.Open
	if typ == "conversion" {
		t = stats.Conversion
	}
	return s.deps.Recorder.Record(s.event(c, l, client, t, stats.ChannelApp, value))
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
