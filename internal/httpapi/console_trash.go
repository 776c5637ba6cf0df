package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
)

// The console's trash, delete, duplicate and sign out everywhere.

type trashRow struct {
	Code, Title, PurgeAt string
}

type trashPage struct {
	consolePage
	CanWrite bool
	Items    []trashRow
	Next     string
}

func (p trashPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

const consoleTrashPage = 50

func (s *Server) consoleTrash(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	offset, _ := strconv.Atoi(c.QueryParam("offset"))
	offset = max(0, min(offset, 1_000_000))
	items, next, err := s.deps.Links.Trash(c.Request().Context(), tenant(c), offset, consoleTrashPage)
	if err != nil {
		return s.consoleFail(c, err)
	}
	p := trashPage{CanWrite: canWrite(c)}
	for _, l := range items {
		row := trashRow{Code: l.Code, Title: l.Title}
		if l.PurgeAt != nil {
			row.PurgeAt = l.PurgeAt.In(consoleZone).Format("2006-01-02 15:04")
		}
		p.Items = append(p.Items, row)
	}
	if next > 0 {
		p.Next = fmt.Sprintf("/console/trash?offset=%d", next)
	}
	return s.consoleRender(c, http.StatusOK, "trash.html", consolePage{Title: t["trash"], Nav: "links"}, p)
}

func (s *Server) consoleRestore(c echo.Context) error {
	l, err := s.deps.Links.Restore(c.Request().Context(), tenant(c), c.Param("code"), consoleActor(c))
	if err != nil {
		return s.consoleFail(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/console/links/"+l.Code)
}

func (s *Server) consoleDelete(c echo.Context) error {
	if err := s.deps.Links.Delete(c.Request().Context(), tenant(c), c.Param("code"), consoleActor(c)); err != nil {
		return s.consoleFail(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/console/trash")
}

// consoleLogoutAll signs the user out on every device.
func (s *Server) consoleLogoutAll(c echo.Context) error {
	sess, _ := c.Get("session").(auth.Session)
	if err := s.deps.Keys.EndSessions(c.Request().Context(), sess.Email); err != nil {
		return s.consoleFail(c, err)
	}
	s.setCookie(c, sessionCookie, "", -1, http.SameSiteLaxMode)
	return c.Redirect(http.StatusSeeOther, "/console/login")
}

// duplicateValues are a link's form values for a new link like it (no
// code: a new one is drawn, or typed).
func (s *Server) duplicateValues(c echo.Context, code string) (map[string]string, error) {
	l, err := s.deps.Links.Get(c.Request().Context(), tenant(c), code)
	if err != nil {
		return nil, err
	}
	v := links.FormValues(&l.Input)
	v["code"] = ""
	return v, nil
}
