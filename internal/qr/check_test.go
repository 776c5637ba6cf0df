package qr

import (
	"fmt"
	"strings"
	"testing"
)

// TestCheckAgreesWithRender: Check fails exactly when Render does, with the
// same option named, across sizes at the edge of what a symbol needs.
func TestCheckAgreesWithRender(t *testing.T) {
	long := "https://gw.example.com/s/" + strings.Repeat("x", 32) // version 5 at M: 37 modules
	tests := []struct {
		content string
		size    int
		margin  int
		upper   bool
		fails   bool
	}{
		{typicalURL, 512, 4, false, false},
		{typicalURL, 64, 16, false, false}, // 29+32 = 61 modules
		{typicalURL, 64, 16, true, false},  // version 2
		{long, 64, 16, false, true},        // 37+32 = 69 modules
		{long, 209, 16, false, false},      // the fast path's bound
		{long, 68, 15, false, false},       // 67 modules
		{strings.Repeat("a", 3000), 4096, 4, false, true},
		{"", 512, 4, false, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d bytes size %d margin %d upper %t", len(tt.content), tt.size, tt.margin, tt.upper), func(t *testing.T) {
			o := DefaultOptions()
			o.Size, o.Margin, o.Uppercase = tt.size, tt.margin, tt.upper
			_, renderErr := Render(tt.content, o)
			checkErr := Check(tt.content, o)
			if (renderErr != nil) != tt.fails {
				t.Fatalf("Render error = %v, want failure %t: the case does not test what it says", renderErr, tt.fails)
			}
			if fmt.Sprint(checkErr) != fmt.Sprint(renderErr) {
				t.Errorf("Check = %v, Render error = %v", checkErr, renderErr)
			}
		})
	}
}

func TestCheckSheet(t *testing.T) {
	o := DefaultOptions()
	o.Format, o.Size, o.Margin = PDF, 64, 16 // a sheet sizes codes by its grid
	if err := Check("https://gw.example.com/s/"+strings.Repeat("x", 32), o); err != nil {
		t.Errorf("Check(sheet) = %v, want nil", err)
	}
	if err := Check(strings.Repeat("a", 3000), o); err == nil {
		t.Error("Check(sheet, 3000 bytes) = nil, want an error")
	}
	o.Cols = 0
	assertOptionError(t, Check(typicalURL, o), "cols")
}
