package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/apps"
)

// The console's platform apps (admins): register a mini program's
// credentials, or replace them, checked at once against the platform;
// see each app's state, last error, launch-link quota and hold; remove
// one; and draw a new secret for signed conversion events. Secrets are
// never shown again nor put back in a form.

// appRow is one app as the settings page shows it.
type appRow struct {
	Platform, PlatformLabel, AppID, State, StateLabel string
	Problem, Checked, Quota, Hold, Service            string
}

func (s *Server) appRows(c echo.Context, t consoleText) ([]appRow, error) {
	if s.deps.Apps == nil {
		return nil, nil
	}
	list, err := s.deps.Apps.List(c.Request().Context(), tenant(c))
	if err != nil {
		return nil, err
	}
	var rows []appRow
	for _, a := range list {
		v := viewApp(a, s.now())
		r := appRow{Platform: v.Platform, PlatformLabel: t["p_"+v.Platform], AppID: v.AppID, State: string(v.State), StateLabel: t["app_"+string(v.State)]}
		if v.ErrorCode != 0 || v.Message != "" {
			r.Problem = fmt.Sprintf("%d %s", v.ErrorCode, v.Message)
		}
		if v.CheckedAt != nil {
			r.Checked = consoleTime(*v.CheckedAt)
		}
		r.Quota = fmt.Sprint(v.Quota.Made)
		if v.Quota.Limit > 0 {
			r.Quota += " / " + fmt.Sprint(v.Quota.Limit)
		}
		if h := v.Hold; h != nil {
			r.Hold = fmt.Sprintf(t["app_held"], consoleTime(h.Until), fmt.Sprintf("%d %s", h.Code, h.Message))
		}
		if sv := v.Service; sv != nil {
			r.Service = v.ServiceAppID + " · " + t["app_"+string(sv.State)]
			if sv.ErrorCode != 0 || sv.Message != "" {
				r.Service += fmt.Sprintf(" (%d %s)", sv.ErrorCode, sv.Message)
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// consolePutApp registers an app from the settings form and checks its
// credentials; a refused field or a taken app id is shown on the page,
// with what was typed (but the secrets).
func (s *Server) consolePutApp(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	if s.deps.Apps == nil {
		return s.renderSettings(c, http.StatusServiceUnavailable, nil, t["no_platforms"])
	}
	f := map[string]string{}
	for _, k := range []string{"platform", "appid", "service_appid", "service_domain"} {
		f[k] = strings.TrimSpace(c.FormValue(k))
	}
	in := apps.Input{Secret: strings.TrimSpace(c.FormValue("secret")), ServiceAppID: f["service_appid"],
		ServiceSecret: strings.TrimSpace(c.FormValue("service_secret")), ServiceDomain: f["service_domain"]}
	a, _, err := s.registerApp(c.Request().Context(), tenant(c), f["platform"], f["appid"], in)
	var fe *apps.FieldError
	switch {
	case err == nil && a.State == apps.StateError:
		return s.renderSettingsForm(c, http.StatusOK, nil, fmt.Sprintf(t["app_refused"], a.ErrorCode, a.ErrorMessage), nil)
	case err == nil:
		return c.Redirect(http.StatusSeeOther, "/console/settings#apps")
	case errors.As(err, &fe):
		return s.renderSettingsForm(c, http.StatusUnprocessableEntity, nil, appFieldMessage(fe, consoleLang(c.Request())), f)
	case errors.Is(err, apps.ErrTaken):
		return s.renderSettingsForm(c, http.StatusConflict, nil, t["app_taken"], f)
	case errors.Is(err, apps.ErrNoKey):
		return s.renderSettingsForm(c, http.StatusServiceUnavailable, nil, err.Error(), f)
	}
	return s.consoleFail(c, err)
}

// consoleDeleteApp removes one of the tenant's apps (another's is a 404).
func (s *Server) consoleDeleteApp(c echo.Context) error {
	if s.deps.Apps == nil {
		return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
	}
	appID := c.FormValue("appid")
	if err := s.deps.Apps.Delete(c.Request().Context(), tenant(c), c.FormValue("platform"), appID); err != nil {
		return s.consoleFail(c, err)
	}
	if s.deps.OpenTags != nil {
		s.deps.OpenTags.Forget(tenant(c), appID)
	}
	return c.Redirect(http.StatusSeeOther, "/console/settings#apps")
}

// consoleRotateEventSecret draws the tenant's new secret for signed
// conversion events, shown this once; the old one stops working.
func (s *Server) consoleRotateEventSecret(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	if s.deps.Apps == nil {
		return s.renderSettings(c, http.StatusServiceUnavailable, nil, t["no_platforms"])
	}
	secret, err := s.deps.Apps.RotateEventSecret(c.Request().Context(), tenant(c))
	if errors.Is(err, apps.ErrNoKey) {
		return s.renderSettings(c, http.StatusServiceUnavailable, nil, err.Error())
	}
	if err != nil {
		return s.consoleFail(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderSettings(c, http.StatusOK, &shownSecret{Label: t["new_event_secret"], Value: secret}, "")
}
