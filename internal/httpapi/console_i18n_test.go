package httpapi

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/scangate/scangate/web"
)

// TestConsoleTextsComplete: every text the console's templates and
// handlers ask for exists, not empty, in every language (a missing one
// renders as nothing: a button without a label).
func TestConsoleTextsComplete(t *testing.T) {
	used := map[string]bool{}
	tmplKey := regexp.MustCompile(`\.T\.([a-z_]+)`)
	err := fs.WalkDir(web.Console, "console", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".html" {
			return err
		}
		data, err := fs.ReadFile(web.Console, path)
		for _, m := range tmplKey.FindAllStringSubmatch(string(data), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goKey := regexp.MustCompile(`t\["([a-z_]+)"\]|(?:consoleError\(c, [^,]+, |"forbidden", )"([a-z_]+)"`)
	files, _ := filepath.Glob("console*.go")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(data), -1) {
			for _, k := range m[1:] {
				if k != "" {
					used[k] = true
				}
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found %d text keys in use: the scan is broken", len(used))
	}
	for lang, texts := range consoleTexts {
		for k := range used {
			if texts[k] == "" {
				t.Errorf("%s: no text %q", lang, k)
			}
		}
	}
}
