package httpapi

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/links"
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

// TestConsoleFieldTexts: every message the link validator writes for a
// field a merchant fills in the console has its Chinese text (the API's
// own parameters, which no console form has, excepted), and a message is
// said in the page's language with its values.
func TestConsoleFieldTexts(t *testing.T) {
	apiOnly := map[string]bool{
		"%s": true, "is not a cursor this API returned": true, "belongs to another listing: start again without it": true,
		"must be created, updated or scans": true, "must be active, paused, scheduled or expired": true, "scans is not available": true,
		"has no letters or digits to search for": true, "has more than %d links": true, "a bulk edit's CSV header needs a code column": true,
		"a record needs a valid code and its tenant": true, "the link has no version %d (the newest %d are kept)": true,
		"version %d is the link deleted or purged; revert to a version before it": true,
	}
	files, _ := filepath.Glob("../links/*.go")
	call := regexp.MustCompile("invalid\\([^,]+,\\s*(\"(?:[^\"\\\\]|\\\\.)*\")")
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(data), -1) {
			tmpl, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatalf("%s: %s: %v", f, m[1], err)
			}
			seen++
			if _, ok := zhFieldTexts[tmpl]; !ok && !apiOnly[tmpl] {
				t.Errorf("%s: no Chinese text for %q", filepath.Base(f), tmpl)
			}
		}
	}
	if seen < 80 {
		t.Fatalf("found %d validator messages: the scan is broken", seen)
	}
	for tmpl, zh := range zhFieldTexts {
		if strings.Count(strings.ReplaceAll(tmpl, "%%", ""), "%") != strings.Count(strings.ReplaceAll(zh, "%%", ""), "%") {
			t.Errorf("%q and %q take different values", tmpl, zh)
		}
	}
	// The platform apps' field errors too.
	appFiles, _ := filepath.Glob("../apps/*.go")
	appErr := regexp.MustCompile(`&FieldError\{[^,]+, "([^"]+)"\}`)
	appSeen := 0
	for _, f := range appFiles {
		data, _ := os.ReadFile(f)
		for _, m := range appErr.FindAllStringSubmatch(string(data), -1) {
			appSeen++
			if _, ok := zhAppTexts[m[1]]; !ok && !strings.HasSuffix(f, "_test.go") {
				t.Errorf("%s: no Chinese text for %q", filepath.Base(f), m[1])
			}
		}
	}
	if appSeen < 6 {
		t.Fatalf("found %d app field errors: the scan is broken", appSeen)
	}
	_, err := links.Input{Targets: links.Targets{WeChat: &links.WeChatTarget{AppID: "wx123", Path: "pages/a"}}}.Preview("acme", time.Unix(0, 0))
	if got := fieldMessage(err, "zh-CN"); !strings.Contains(got, "wx0123456789abcdef") {
		t.Errorf("a bad WeChat app id in Chinese: %q", got)
	}
	if got := fieldMessage(err, "en"); got != "must be 'wx' followed by 16 lowercase hex digits" {
		t.Errorf("a bad WeChat app id in English: %q", got)
	}
}
