package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

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
	// The merchant console (console.go), and the root leads to it.
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console/") })
	e.GET("/console", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console/") })
	con := e.Group("/console", consoleGzip, s.consoleHeaders, s.withSession)
	con.GET("/", s.consoleHome)
	con.GET("/static/:file", s.consoleStatic)
	con.GET("/lang/:lang", s.consoleSetLang)
	con.GET("/login", s.consoleLoginPage)
	con.POST("/login", s.consoleLogin)
	con.GET("/setup", s.consoleSetupPage)
	con.POST("/setup", s.consoleSetup)
	con.POST("/logout", s.consoleLogout, s.requireSession)
	con.GET("/links", s.consoleLinks, s.requireSession)
	con.GET("/links/new", s.consoleNewLink, s.requireSession, s.consoleWrite)
	con.GET("/links/upload", s.consoleUploadPage, s.requireSession, s.consoleWrite)
	con.POST("/links/bulk", s.consoleBulk, s.requireSession, s.consoleWrite)
	con.POST("/links/upload", s.consoleUpload, s.requireSession, s.consoleWrite)
	con.POST("/links/new", s.consoleCreateLink, s.requireSession, s.consoleWrite)
	con.GET("/links/:code", s.consoleLink, s.requireSession)
	con.POST("/links/:code", s.consoleEditLink, s.requireSession, s.consoleWrite)
	con.POST("/links/:code/pause", s.consoleSetStatus(links.StatusPaused), s.requireSession, s.consoleWrite)
	con.POST("/links/:code/resume", s.consoleSetStatus(links.StatusActive), s.requireSession, s.consoleWrite)
	con.POST("/links/:code/revert", s.consoleRevert, s.requireSession, s.consoleWrite)
	con.POST("/links/:code/delete", s.consoleDelete, s.requireSession, s.consoleWrite)
	con.GET("/trash", s.consoleTrash, s.requireSession)
	con.POST("/trash/:code/restore", s.consoleRestore, s.requireSession, s.consoleWrite)
	con.POST("/logout/all", s.consoleLogoutAll, s.requireSession)
	con.GET("/links/:code/qr", s.qrImage, s.requireSession)
	con.GET("/campaigns/:campaign", s.consoleCampaign, s.requireSession)
	con.GET("/campaigns/:campaign/stats.csv", s.consoleStatsCSV(s.campaignSubject), s.requireSession)
	con.GET("/links/:code/stats", s.consoleLinkStats, s.requireSession)
	con.GET("/links/:code/stats.csv", s.consoleStatsCSV(s.linkSubject), s.requireSession)
	con.GET("/settings", s.consoleSettings, s.requireSession)
	con.POST("/settings/users", s.consoleInvite, s.requireSession, s.consoleWrite)
	con.POST("/settings/users/disable", s.consoleDisableUser, s.requireSession, s.consoleWrite)
	con.POST("/settings/keys", s.consoleCreateKey, s.requireSession, s.consoleWrite)
	con.POST("/settings/keys/revoke", s.consoleRevokeKey, s.requireSession, s.consoleWrite)
	con.POST("/settings/apps", s.consolePutApp, s.requireSession, s.consoleWrite)
	con.POST("/settings/apps/delete", s.consoleDeleteApp, s.requireSession, s.consoleWrite)
	con.POST("/settings/event-secret", s.consoleRotateEventSecret, s.requireSession, s.consoleWrite)
	con.GET("/live", s.consoleLive, s.requireSession)
	con.GET("/live/events", s.consoleLiveEvents, s.requireSession)
	con.POST("/campaigns/:campaign/print", s.consolePrint, s.requireSession, s.consoleWrite)

	e.GET("/:file", s.verificationFile)
	e.HEAD("/:file", s.verificationFile)

	// Operations (public).
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler(), s.requireMetricsToken)

	// Public API for mini programs. Every API route names the query
	// parameters it takes; any other is a 400 naming it.
	stats := params("from", "to", "granularity", "tz")
	public := e.Group("/api/v1", s.rateLimit(s.apiLimit))
	public.GET("/scene/:code", s.sceneByCode, params("platform"))
	public.GET("/scene", s.sceneByURL, params("q", "platform"))
	public.POST("/events", s.postEvent, params())
	public.GET("/openapi.yaml", s.openAPI, params())

	// Admin API: every route needs a key; writes need an admin key.
	api := e.Group("/api/v1", s.authenticate, s.spendAPI)
	api.GET("/usage", s.usage, params())
	api.POST("/links", s.createLink, s.requireWrite, params())
	api.POST("/links/bulk", s.bulkLinks, s.requireWrite, params("mode"))
	api.PATCH("/links/bulk", s.bulkEdit, s.requireWrite, params())
	api.GET("/links", s.listLinks, params("campaign", "tag", "status", "q", "sort", "limit", "cursor"))
	api.GET("/links/export", s.linksExport, s.requireAdmin, params("format"))
	api.GET("/links/:code", s.getLink, params())
	api.PATCH("/links/:code", s.patchLink, s.requireWrite, params())
	api.DELETE("/links/:code", s.deleteLink, s.requireWrite, params("purge"))
	api.GET("/links/:code/history", s.linkHistory, params("limit", "cursor"))
	api.POST("/links/:code/revert", s.revertLink, s.requireWrite, params())
	api.POST("/links/:code/restore", s.restoreLink, s.requireWrite, params())
	api.GET("/trash", s.listTrash, params("limit", "cursor"))
	// QR options are checked by name in qr.ParseOptions, with their own
	// errors (a misspelt option is named as an option).
	api.GET("/links/:code/qr", s.qrImage)
	api.GET("/links/:code/stats", s.linkStats, stats)
	api.GET("/campaigns/:campaign/stats", s.campaignStats, stats)
	api.POST("/campaigns/:campaign/:action", s.campaignAction, s.requireWrite, params())
	api.GET("/events.csv", s.eventsCSV, params("campaign", "code", "from", "to", "tz", "bom"))
	api.POST("/events/secret", s.rotateEventSecret, s.requireAdmin, s.refuseWhenReadOnly, params())
	api.POST("/qr/export", s.qrExport, s.requireAdmin, params())
	// Platform apps hold credentials: admin keys only, reads included.
	api.GET("/apps", s.listApps, s.requireAdmin, params())
	api.GET("/apps/:platform/:appid", s.getApp, s.requireAdmin, params())
	api.PUT("/apps/:platform/:appid", s.putApp, s.requireAdmin, s.refuseWhenReadOnly, params())
	api.DELETE("/apps/:platform/:appid", s.deleteApp, s.requireAdmin, s.refuseWhenReadOnly, params())

	// The groups' own catch-alls (echo adds them for their middleware)
	// would answer 404 for a route's path under another method.
	// Registered last, outside the groups' middleware: a wrong method on a
	// public route is a 405, not a failed authentication.
	e.RouteNotFound("/api/*", s.apiNotFound)
	e.RouteNotFound("/api/v1/*", s.apiNotFound)
}
