package links

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetMany(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	for _, code := range []string{"many-1", "many-2", "gone-1"} {
		mustCreate(t, s, "acme", `{"code":"`+code+`",`+webOnly[1:])
	}
	mustCreate(t, s, "globex", `{"code":"theirs",`+webOnly[1:])
	if err := s.Delete(ctx, "acme", "gone-1", Actor{By: "key:test"}); err != nil {
		t.Fatal(err)
	}
	codes := []string{"MANY-2", "theirs", "many-1", "nothere", "gone-1", "../x", "many-2"}
	got, err := s.GetMany(ctx, "acme", codes)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	var found []string
	for _, l := range got {
		if l == nil {
			found = append(found, "")
			continue
		}
		found = append(found, l.Code)
	}
	// Only the tenant's live links; everything else is nil, whatever the reason.
	want := []string{"many-2", "", "many-1", "", "", "", "many-2"}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("GetMany(%q) (-want +got):\n%s", codes, diff)
	}
}

func TestGetManyAcrossBatches(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	n := readBatch + 5
	ins := make([]Input, n)
	codes := make([]string, n)
	for i := range ins {
		codes[i] = fmt.Sprintf("b%05d", i)
		ins[i] = Input{Code: codes[i], Targets: Targets{Web: &WebTarget{URL: "https://e.com/"}}}
	}
	if res, err := s.Bulk(ctx, "acme", ins, nil, Actor{By: "key:test"}); err != nil || res.Created != n {
		t.Fatalf("Bulk = %+v, %v", res.Failed, err)
	}
	codes[readBatch+2] = "nothere"
	got, err := s.GetMany(ctx, "acme", codes)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range got {
		if wantNil := i == readBatch+2; (l == nil) != wantNil || l != nil && l.Code != codes[i] {
			t.Fatalf("GetMany item %d = %+v, want %q", i, l, codes[i])
		}
	}
}
