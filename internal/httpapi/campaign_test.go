package httpapi

import (
	"fmt"
	"net/http"
	"testing"
)

// TestCampaignActions: pause, resume and delete a campaign's links in one
// call each, with how many changed; other campaigns and tenants are
// untouched; a viewer may not; an unknown campaign is a 404.
func TestCampaignActions(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		campaign := "spring"
		if i == 4 {
			campaign = "summer"
		}
		if rec := e.json("POST", "/api/v1/links", e.admin, fmt.Sprintf(`{"code":"CMP%d","campaign":"%s","targets":{"web":{"url":"https://example.com/"}}}`, i, campaign)); rec.Code != http.StatusCreated {
			t.Fatalf("create = %d %s", rec.Code, rec.Body)
		}
	}
	if rec := e.json("PATCH", "/api/v1/links/CMP0", e.admin, `{"status":"paused"}`); rec.Code != http.StatusOK {
		t.Fatal(rec.Body)
	}
	state := func(code string) string {
		return string(decode[linkView](t, e.do("GET", "/api/v1/links/"+code, e.admin, "", "")).Status)
	}
	if rec := e.do("POST", "/api/v1/campaigns/spring/pause", e.viewer, "", ""); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer's pause = %d, want 403", rec.Code)
	}
	res := decode[campaignActionResponse](t, e.do("POST", "/api/v1/campaigns/spring/pause", e.admin, "", ""))
	if res.Links != 4 || res.Changed != 3 || len(res.Failed) != 0 {
		t.Errorf("pause = %+v, want 4 links, 3 changed (one was paused already)", res)
	}
	if state("CMP1") != "paused" || state("CMP4") != "active" {
		t.Errorf("after the pause: CMP1 %s, CMP4 (summer) %s", state("CMP1"), state("CMP4"))
	}
	if rec := e.do("GET", "/s/CMP1", "", "", ""); rec.Code != http.StatusGone {
		t.Errorf("a paused campaign's scan = %d, want 410", rec.Code)
	}
	if res := decode[campaignActionResponse](t, e.do("POST", "/api/v1/campaigns/spring/resume", e.admin, "", "")); res.Changed != 4 {
		t.Errorf("resume = %+v, want 4 changed", res)
	}
	if rec := e.do("POST", "/api/v1/campaigns/spring/pause", e.otherTenant, "", ""); rec.Code != http.StatusNotFound {
		t.Errorf("another tenant's pause = %d, want 404", rec.Code)
	}
	if res := decode[campaignActionResponse](t, e.do("POST", "/api/v1/campaigns/spring/delete", e.admin, "", "")); res.Changed != 4 {
		t.Errorf("delete = %+v, want 4 to the trash", res)
	}
	if trash := decode[trashResponse](t, e.do("GET", "/api/v1/trash", e.admin, "", "")); len(trash.Items) != 4 {
		t.Errorf("trash holds %d links, want the campaign's 4", len(trash.Items))
	}
	for _, path := range []string{"/api/v1/campaigns/spring/pause", "/api/v1/campaigns/nope/pause", "/api/v1/campaigns/summer/explode"} {
		if rec := e.do("POST", path, e.admin, "", ""); rec.Code != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", path, rec.Code)
		}
	}
}
