package httpapi

import (
	"cmp"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
)

// The console's settings: the tenant's quotas and use (everyone); its
// users (invite with a one-time link, disable), API keys (create, shown
// once; revoke) and platform apps (admins: console_apps.go).

type usageRow struct {
	Name        string // the quota's name in the API and config (api_per_minute)
	Used, Limit int64
	Label       string // in the page's language
}

type userRow struct {
	Email, Role, State string
	CanDisable         bool
}

type keyRow struct {
	ID, Role, Created, By string
}

type shownSecret struct {
	Label, Value string
}

type settingsPage struct {
	consolePage
	Admin bool
	Shown *shownSecret
	Usage []usageRow
	Users []userRow
	Keys  []keyRow
	Apps  []appRow
	// AppsOn: the gateway has platform connections; AppForm is what was
	// typed in the app form (never its secrets), shown again with an error.
	AppsOn  bool
	AppForm map[string]string
}

func (p settingsPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

func (s *Server) consoleSettings(c echo.Context) error {
	return s.renderSettings(c, http.StatusOK, nil, "")
}

func (s *Server) renderSettings(c echo.Context, status int, shown *shownSecret, errText string) error {
	return s.renderSettingsForm(c, status, shown, errText, nil)
}

func (s *Server) renderSettingsForm(c echo.Context, status int, shown *shownSecret, errText string, appForm map[string]string) error {
	ctx := c.Request().Context()
	t := consoleTexts[consoleLang(c.Request())]
	tn := tenant(c)
	p := settingsPage{Admin: canWrite(c), Shown: shown, AppForm: appForm}
	l := s.cfg.Quotas.Of(tn)
	uses, err := s.deps.Keys.Usage(ctx, tn, []auth.Quota{l.api(), l.bulkRows(), l.exports()}, s.now())
	if err != nil {
		return s.consoleFail(c, err)
	}
	for _, u := range uses {
		p.Usage = append(p.Usage, usageRow{Name: u.Name, Used: u.Used, Limit: u.Limit})
	}
	stored, err := s.deps.Links.Usage(ctx, tn)
	if err != nil {
		return s.consoleFail(c, err)
	}
	p.Usage = append(p.Usage, usageRow{Name: "links", Used: stored.Links, Limit: l.Stored.Links},
		usageRow{Name: "campaigns", Used: stored.Campaigns, Limit: l.Stored.Campaigns}, usageRow{Name: "tags", Used: stored.Tags, Limit: l.Stored.Tags})
	for i := range p.Usage {
		p.Usage[i].Label = cmp.Or(t["q_"+p.Usage[i].Name], p.Usage[i].Name)
	}
	if p.Admin {
		sess, _ := c.Get("session").(auth.Session)
		users, err := s.deps.Keys.Users(ctx, tn)
		if err != nil {
			return s.consoleFail(c, err)
		}
		for _, u := range users {
			state := t["active"]
			switch {
			case u.Disabled:
				state = t["disabled"]
			case u.PasswordHash == "":
				state = t["invited"]
			}
			p.Users = append(p.Users, userRow{Email: u.Email, Role: t[string(u.Role)], State: state, CanDisable: !u.Disabled && u.Email != sess.Email})
		}
		keys, err := s.deps.Keys.List(ctx)
		if err != nil {
			return s.consoleFail(c, err)
		}
		for _, k := range keys {
			if k.Tenant == tn {
				p.Keys = append(p.Keys, keyRow{ID: k.ID, Role: t[string(k.Role)], Created: consoleTime(k.CreatedAt),
					By: strings.TrimPrefix(k.CreatedBy, "user:")})
			}
		}
		if p.Apps, err = s.appRows(c, t); err != nil {
			return s.consoleFail(c, err)
		}
		p.AppsOn = s.deps.Apps != nil
	}
	return s.consoleRender(c, status, "settings.html", consolePage{Title: t["settings"], Nav: "settings", Error: errText}, p)
}

func (s *Server) consoleInvite(c echo.Context) error {
	ctx := c.Request().Context()
	t := consoleTexts[consoleLang(c.Request())]
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.renderSettings(c, http.StatusUnprocessableEntity, nil, err.Error())
	}
	u, err := s.deps.Keys.CreateUser(ctx, tenant(c), c.FormValue("email"), role)
	switch {
	case errors.Is(err, auth.ErrExists):
		// Says nothing of whose: another tenant's user is an address in use.
		return s.renderSettings(c, http.StatusUnprocessableEntity, nil, t["email_taken"])
	case errors.Is(err, auth.ErrInvalid):
		return s.renderSettings(c, http.StatusUnprocessableEntity, nil, strings.TrimPrefix(err.Error(), "invalid: "))
	case err != nil:
		return s.consoleFail(c, err)
	}
	tok, err := s.deps.Keys.SetupToken(ctx, u.Email)
	if err != nil {
		return s.consoleFail(c, err)
	}
	link := strings.TrimSuffix(s.cfg.PublicBaseURL, "/") + "/console/setup?token=" + tok
	return s.renderSettings(c, http.StatusOK, &shownSecret{Label: t["invite_link_for"] + " " + u.Email, Value: link}, "")
}

// consoleDisableUser disables one of the tenant's users, ending their
// sessions, and (unless unticked) revokes the API keys they made in the
// console: a departed employee keeps no way in.
func (s *Server) consoleDisableUser(c echo.Context) error {
	ctx := c.Request().Context()
	sess, _ := c.Get("session").(auth.Session)
	u, err := s.deps.Keys.User(ctx, c.FormValue("email"))
	if err != nil || u.Tenant != tenant(c) {
		return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
	}
	if u.Email == sess.Email {
		return s.renderSettings(c, http.StatusUnprocessableEntity, nil, consoleTexts[consoleLang(c.Request())]["not_yourself"])
	}
	if err := s.deps.Keys.DisableUser(ctx, u.Email); err != nil {
		return s.consoleFail(c, err)
	}
	if c.FormValue("revoke_keys") != "" {
		if _, err := s.deps.Keys.RevokeKeysBy(ctx, u.Tenant, "user:"+u.Email); err != nil {
			return s.consoleFail(c, err)
		}
	}
	return c.Redirect(http.StatusSeeOther, "/console/settings")
}

func (s *Server) consoleCreateKey(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		return s.renderSettings(c, http.StatusUnprocessableEntity, nil, err.Error())
	}
	sess, _ := c.Get("session").(auth.Session)
	secret, _, err := s.deps.Keys.CreateBy(c.Request().Context(), tenant(c), role, "user:"+sess.Email)
	if err != nil {
		return s.consoleFail(c, err)
	}
	return s.renderSettings(c, http.StatusOK, &shownSecret{Label: t["new_key"], Value: secret}, "")
}

func (s *Server) consoleRevokeKey(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.FormValue("id")
	keys, err := s.deps.Keys.List(ctx)
	if err != nil {
		return s.consoleFail(c, err)
	}
	for _, k := range keys {
		if k.ID == id && k.Tenant == tenant(c) {
			if err := s.deps.Keys.Revoke(ctx, id); err != nil {
				return s.consoleFail(c, err)
			}
			return c.Redirect(http.StatusSeeOther, "/console/settings")
		}
	}
	return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
}
