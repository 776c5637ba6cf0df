package httpapi

import "github.com/labstack/echo/v4"

// routes is the one list of everything the gateway serves.
func (s *Server) routes() {
	e := s.echo

	// Scanning (public): the URL inside every printed code.
	// HEAD answers as GET would (link checkers use it) but never counts.
	for _, prefix := range []string{"/s/", "/S/"} {
		e.GET(prefix+":code", s.scan, s.rateLimit(s.scanLimit))
		// A trailing slash, as some scanners and chat apps add, is the same code.
		e.GET(prefix+":code/", s.scan, s.rateLimit(s.scanLimit))
		e.HEAD(prefix+":code/", s.scan, s.rateLimit(s.scanLimit))
		e.HEAD(prefix+":code", s.scan, s.rateLimit(s.scanLimit))
		// The WeChat page's code to long-press: a sun code when the
		// tenant's app makes one, else the short URL's QR.
		e.GET(prefix+":code/wxacode", s.pageSunCode, s.rateLimit(s.scanLimit))
	}
	e.GET("/:file", s.verificationFile)
	e.HEAD("/:file", s.verificationFile)

	// Operations (public).
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler(), s.requireMetricsToken)

	// Public API for mini programs.
	public := e.Group("/api/v1", s.rateLimit(s.apiLimit))
	public.GET("/scene/:code", s.sceneByCode)
	public.GET("/scene", s.sceneByURL)
	public.POST("/events", s.postEvent)

	// Admin API: every route needs a key; writes need an admin key.
	api := e.Group("/api/v1", s.authenticate)
	api.POST("/links", s.createLink, s.requireWrite)
	api.POST("/links/bulk", s.bulkLinks, s.requireWrite)
	api.PATCH("/links/bulk", s.bulkEdit, s.requireWrite)
	api.GET("/links", s.listLinks)
	api.GET("/links/export", s.linksExport, s.requireAdmin)
	api.GET("/links/:code", s.getLink)
	api.PATCH("/links/:code", s.patchLink, s.requireWrite)
	api.DELETE("/links/:code", s.deleteLink, s.requireWrite)
	api.GET("/links/:code/history", s.linkHistory)
	api.POST("/links/:code/revert", s.revertLink, s.requireWrite)
	api.POST("/links/:code/restore", s.restoreLink, s.requireWrite)
	api.GET("/trash", s.listTrash)
	api.GET("/links/:code/qr", s.qrImage)
	api.GET("/links/:code/stats", s.linkStats)
	api.GET("/campaigns/:campaign/stats", s.campaignStats)
	api.POST("/campaigns/:campaign/:action", s.campaignAction, s.requireWrite)
	api.GET("/events.csv", s.eventsCSV)
	api.POST("/events/secret", s.rotateEventSecret, s.requireAdmin, s.refuseWhenReadOnly)
	api.POST("/qr/export", s.qrExport, s.requireAdmin)
	// Platform apps hold credentials: admin keys only, reads included.
	api.GET("/apps", s.listApps, s.requireAdmin)
	api.GET("/apps/:platform/:appid", s.getApp, s.requireAdmin)
	api.PUT("/apps/:platform/:appid", s.putApp, s.requireAdmin, s.refuseWhenReadOnly)
	api.DELETE("/apps/:platform/:appid", s.deleteApp, s.requireAdmin, s.refuseWhenReadOnly)

	e.RouteNotFound("/api/*", func(c echo.Context) error { return errNotFound })
}
