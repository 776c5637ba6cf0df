package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/routing"
	"github.com/scangate/scangate/internal/strictjson"
)

// The platform apps of a tenant (internal/apps): admin keys only, for
// reading too, since an app's state tells about its credentials.

// maxAppBody bounds a PUT /api/v1/apps body: four short strings.
const maxAppBody = 4 << 10

// errNoApps: the gateway was started without platform connections.
var errNoApps = errors.New("platform apps are not configured on this gateway")

// errReadOnly: the gateway serves links from a backup (serve --links-from).
var errReadOnly = errors.New("this gateway serves links from a backup while the store is rebuilt: writes are refused; make them on a gateway with the store")

// appInput is the body of PUT /api/v1/apps/{platform}/{appid}.
type appInput struct {
	Secret        string `json:"secret"`
	ServiceAppID  string `json:"service_appid"`
	ServiceSecret string `json:"service_secret"`
	ServiceDomain string `json:"service_domain"`
}

// appView is an app as the API shows it: never a secret.
type appView struct {
	Platform         string `json:"platform"`
	AppID            string `json:"appid"`
	SecretSet        bool   `json:"secret_set"`
	ServiceAppID     string `json:"service_appid,omitempty"`
	ServiceSecretSet bool   `json:"service_secret_set"`
	ServiceDomain    string `json:"service_domain,omitempty"`
	// Service is the service account's last check (the open tag needs
	// its JS-SDK ticket); omitted without one.
	Service   *serviceView `json:"service,omitempty"`
	State     apps.State   `json:"state"`
	ErrorCode int          `json:"error_code,omitempty"`
	Message   string       `json:"message,omitempty"`
	CheckedAt *time.Time   `json:"checked_at"`
	NextCheck *time.Time   `json:"next_check,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Quota     quotaView    `json:"quota"`
	// Hold: the platform refused the app's launch links as a whole (85079
	// not published), or limits its calls; none is asked for until then.
	Hold *holdView `json:"launch_links_held,omitempty"`
}

type holdView struct {
	Until   time.Time `json:"until"`
	Code    int       `json:"code"`
	Message string    `json:"message,omitempty"`
	Reason  string    `json:"reason"` // "refused" or "limit"
}

// serviceView is the state of an app's service account.
type serviceView struct {
	State     apps.State `json:"state"`
	ErrorCode int        `json:"error_code,omitempty"`
	Message   string     `json:"message,omitempty"`
	CheckedAt *time.Time `json:"checked_at"`
}

// quotaView is an app's use of its platform's daily quota of launch links.
type quotaView struct {
	Day   string `json:"day"` // China time
	Made  int64  `json:"made"`
	Limit int64  `json:"limit,omitempty"`
}

func viewApp(a apps.App, now time.Time) appView {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	v := appView{Platform: a.Platform, AppID: a.AppID, SecretSet: a.SecretSet, ServiceAppID: a.ServiceAppID,
		ServiceSecretSet: a.ServiceSecretSet, ServiceDomain: a.ServiceDomain, State: a.State,
		ErrorCode: a.ErrorCode, Message: a.ErrorMessage, CheckedAt: opt(a.CheckedAt), NextCheck: opt(a.NextCheck),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Quota: quotaView{Day: a.QuotaDay, Made: a.MadeToday, Limit: a.QuotaLimit}}
	if a.Hold.Until.After(now) {
		reason := "limit"
		if a.Hold.Refused {
			reason = "refused"
		}
		v.Hold = &holdView{Until: a.Hold.Until, Code: a.Hold.Code, Message: a.Hold.Message, Reason: reason}
	}
	if a.ServiceAppID != "" {
		v.Service = &serviceView{State: a.Service.State, ErrorCode: a.Service.ErrorCode, Message: a.Service.ErrorMessage,
			CheckedAt: opt(a.Service.CheckedAt)}
	}
	return v
}

// decodeAppInput reads a PUT body strictly: unknown fields are errors.
func decodeAppInput(data []byte) (appInput, error) {
	var in appInput
	err := strictjson.Decode(data, &in)
	return in, err
}

// putApp registers an app (or replaces its secrets) and checks them at
// once by fetching a token: 201 for a new app, 200 for a replaced one,
// with the outcome in "state" either way.
func (s *Server) putApp(c echo.Context) error {
	if s.deps.Apps == nil {
		return errNoApps
	}
	if err := requireJSON(c); err != nil {
		return err
	}
	data, err := readBody(c, maxAppBody)
	if err != nil {
		return err
	}
	in, err := decodeAppInput(data)
	if err != nil {
		return err
	}
	a, created, err := s.registerApp(c.Request().Context(), tenant(c), c.Param("platform"), c.Param("appid"), apps.Input{Secret: in.Secret,
		ServiceAppID: in.ServiceAppID, ServiceSecret: in.ServiceSecret, ServiceDomain: in.ServiceDomain})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Response().Header().Set("Location", "/api/v1/apps/"+a.Platform+"/"+a.AppID)
	}
	return c.JSON(status, viewApp(a, s.now()))
}

// registerApp registers a tenant's app (or replaces its secrets) and
// checks them at once by fetching a token, for the API and the console;
// created tells whether the app is new to the tenant.
func (s *Server) registerApp(ctx context.Context, tenant, platform, appID string, in apps.Input) (a apps.App, created bool, err error) {
	_, getErr := s.deps.Apps.Get(ctx, tenant, platform, appID)
	if _, err := s.deps.Apps.Put(ctx, tenant, platform, appID, in); err != nil {
		return apps.App{}, false, err
	}
	if s.deps.OpenTags != nil {
		// Its service account may have changed: forgotten before the check
		// (no scan uses the old tag meanwhile) and after it (a fetch that
		// ran meanwhile may have read the old ticket, which Check drops).
		s.deps.OpenTags.Forget(tenant, appID)
		defer s.deps.OpenTags.Forget(tenant, appID)
	}
	if a, err = s.deps.Tokens.Check(ctx, tenant, platform, appID); err != nil {
		return apps.App{}, false, err
	}
	if a.State == apps.StateOK && s.deps.URLLinks != nil {
		s.deps.URLLinks.SweepSoon() // the tenant's links can get launch links now
	}
	return a, errors.Is(getErr, apps.ErrNotFound), nil
}

func (s *Server) getApp(c echo.Context) error {
	if s.deps.Apps == nil {
		return errNoApps
	}
	a, err := s.deps.Apps.Get(c.Request().Context(), tenant(c), c.Param("platform"), c.Param("appid"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewApp(a, s.now()))
}

func (s *Server) listApps(c echo.Context) error {
	if s.deps.Apps == nil {
		return errNoApps
	}
	list, err := s.deps.Apps.List(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	out := make([]appView, len(list))
	for i, a := range list {
		out[i] = viewApp(a, s.now())
	}
	return c.JSON(http.StatusOK, map[string]any{"apps": out})
}

func (s *Server) deleteApp(c echo.Context) error {
	if s.deps.Apps == nil {
		return errNoApps
	}
	if err := s.deps.Apps.Delete(c.Request().Context(), tenant(c), c.Param("platform"), c.Param("appid")); err != nil {
		return err
	}
	if s.deps.OpenTags != nil {
		s.deps.OpenTags.Forget(tenant(c), c.Param("appid"))
	}
	return c.NoContent(http.StatusNoContent)
}

// wantLaunchLinks asks, never waiting, for a look at a link's launch
// links after a write.
func (s *Server) wantLaunchLinks(l *links.Link) {
	if s.deps.URLLinks != nil && l != nil && l.OnMiniPlatforms() {
		s.deps.URLLinks.Want(l.Tenant, l.Code)
	}
}

// wantLaunchLinksFromScan asks, never waiting, for launch links after a
// scan the link's launch links could have served better: a page, or a
// WeChat or Douyin scheme.
func (s *Server) wantLaunchLinksFromScan(l *links.Link, d *routing.Decision) {
	if s.deps.URLLinks == nil || !l.OnMiniPlatforms() {
		return
	}
	if d.Kind == routing.Redirect {
		if n := d.Redirect.Name(); d.Redirect.Form == routing.FormMade || n != "wechat" && n != "douyin" {
			return
		}
	}
	s.deps.URLLinks.WantFromScan(l.Tenant, l.Code)
}
