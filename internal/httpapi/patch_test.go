package httpapi

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scangate/scangate/internal/links"
)

// TestMergePatch: RFC 7386 on a link's editable fields: objects merge,
// null removes, other values replace; the result is decoded as strictly
// as a new link; read-only fields, a code change and anything but a JSON
// object are refused, naming the field.
func TestMergePatch(t *testing.T) {
	base := func() links.Input {
		in, err := links.DecodeInput([]byte(`{"code":"patchme","title":"Old","campaign":"c1","tags":["a","b"],
			"params":{"store":"PD01","table":"12"},
			"targets":{"web":{"url":"https://a.example.com/"},"alipay":{"appid":"2021001234567890"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	edit, err := mergePatch([]byte(`{"title":"New","params":{"table":null,"seat":"3"},
		"targets":{"alipay":null,"web":{"url":"https://b.example.com/"}},"tags":["b"],"campaign":null,"code":"PATCHME"}`))
	if err != nil {
		t.Fatal(err)
	}
	in := base()
	if err := edit(&in); err != nil {
		t.Fatal(err)
	}
	if in.Title != "New" || in.Campaign != "" || in.Targets.Alipay != nil || in.Targets.Web.URL != "https://b.example.com/" {
		t.Errorf("patched = %+v", in)
	}
	if diff := cmp.Diff(map[string]string{"store": "PD01", "seat": "3"}, in.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b"}, in.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name, patch, field string
		want               error
	}{
		{"code change", `{"code":"other"}`, "code", links.ErrInvalid},
		{"read-only", `{"created_at":"2020-01-01T00:00:00Z"}`, "created_at", links.ErrInvalid},
		{"launch links", `{"launch_links":[]}`, "launch_links", links.ErrInvalid},
		{"unknown field", `{"colour":"red"}`, "colour", links.ErrInvalid},
		{"wrong type", `{"title":5}`, "title", links.ErrInvalid},
		{"not an object", `[1]`, "", links.ErrMalformed},
		{"broken JSON", `{"title":`, "", links.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edit, err := mergePatch([]byte(tc.patch))
			if err == nil {
				in := base()
				err = edit(&in)
			}
			if status, _ := classify(err); !errors.Is(err, tc.want) && !(tc.want == links.ErrMalformed && status == http.StatusBadRequest) {
				t.Fatalf("mergePatch(%s) err = %v, want %v", tc.patch, err, tc.want)
			}
			var fe *links.FieldError
			if tc.field != "" && (!errors.As(err, &fe) || fe.Name != tc.field) {
				t.Fatalf("mergePatch(%s) err = %v, want field %q", tc.patch, err, tc.field)
			}
		})
	}
}
