package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// recordScan hands a scan to the stats recorder (wired in with internal/stats).
func (s *Server) recordScan(c echo.Context, l *links.Link, client platform.Client) {}

func (s *Server) recordAppScan(c echo.Context, l *links.Link, client platform.Client) {}

func (s *Server) recordEvent(c echo.Context, l *links.Link, client platform.Client, typ string, value int64) bool {
	return true
}
