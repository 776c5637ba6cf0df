package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

type campaignActionResponse struct {
	Campaign string        `json:"campaign"`
	Links    int           `json:"links"`
	Changed  int           `json:"changed"`
	Failed   []bulkFailure `json:"failed"`
}

// campaignAction answers POST /api/v1/campaigns/{campaign}/pause, resume
// and delete (to the trash): every live link of the campaign, each a
// version in its history, and how many changed.
func (s *Server) campaignAction(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	ctx, t, name := c.Request().Context(), tenant(c), c.Param("campaign")
	var res links.CampaignResult
	switch c.Param("action") {
	case "pause":
		res, err = s.deps.Links.SetCampaignStatus(ctx, t, name, links.StatusPaused, a)
	case "resume":
		res, err = s.deps.Links.SetCampaignStatus(ctx, t, name, links.StatusActive, a)
	case "delete":
		res, err = s.deps.Links.DeleteCampaign(ctx, t, name, a)
	default:
		return errNotFound
	}
	if err != nil {
		return err
	}
	out := campaignActionResponse{Campaign: name, Links: res.Links, Changed: res.Changed, Failed: make([]bulkFailure, len(res.Failed))}
	for i, f := range res.Failed {
		_, body := classify(f.Err)
		out.Failed[i] = bulkFailure{Row: f.Row, Error: body}
	}
	return c.JSON(http.StatusOK, out)
}
