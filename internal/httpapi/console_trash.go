package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

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
			row.PurgeAt = consoleTime(*l.PurgeAt)
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

// consoleBulkMax bounds a bulk action: a page of links at most.
const consoleBulkMax = links.MaxListLimit

// consoleBulk pauses, resumes or deletes the selected links, each alone,
// and goes back to the list saying how many changed.
func (s *Server) consoleBulk(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return s.consoleError(c, http.StatusBadRequest, "forbidden", "csrf_failed")
	}
	codes := form["code"]
	if len(codes) > consoleBulkMax {
		codes = codes[:consoleBulkMax]
	}
	action := c.FormValue("action")
	done := 0
	for _, code := range codes {
		var err error
		switch action {
		case "pause", "resume":
			st := links.StatusPaused
			if action == "resume" {
				st = links.StatusActive
			}
			err = s.setStatus(c, code, st)
		case "delete":
			err = s.deps.Links.Delete(ctx, tenant(c), code, consoleActor(c))
		default:
			return s.consoleError(c, http.StatusUnprocessableEntity, "forbidden", "not_found_text")
		}
		if err == nil {
			done++
		} else if status, _ := classify(err); status >= 500 {
			return s.consoleFail(c, err)
		}
	}
	next := safeNext(c.FormValue("next"))
	if !strings.HasPrefix(next, "/console/links") {
		next = "/console/links"
	}
	sep := "?"
	if strings.Contains(next, "?") {
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, next+sep+"done="+strconv.Itoa(done))
}
