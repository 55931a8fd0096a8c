package server

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/huella/huella/internal/browsertest"
)

// chromium finds a Chromium or Chrome binary ($HUELLA_CHROMIUM first).
func chromium() string {
	if p := os.Getenv("HUELLA_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile, or skips the
// test when none is installed (.ci/install-chromium.sh installs it).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := chromium()
	if bin == "" {
		if os.Getenv("HUELLA_REQUIRE_BROWSER") != "" {
			t.Fatal("no chromium binary found and HUELLA_REQUIRE_BROWSER is set (install with .ci/install-chromium.sh)")
		}
		t.Skip("no chromium binary found (install with .ci/install-chromium.sh or set HUELLA_CHROMIUM): skipping browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	return ctx
}

// tab wraps a browser tab for the test's steps.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (p tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", step, err)
	}
}

func (p tab) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(sel))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (p tab) attr(sel, name string) string {
	p.t.Helper()
	a, err := chromedp.Run(p.ctx, chromedp.AttributeValue(sel, name))
	if err != nil {
		p.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return a.Value
}

func (p tab) location() string {
	p.t.Helper()
	l, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.t.Fatal(err)
	}
	return l
}

// TestBrowser drives the UI as people do: log in, upload a leak and read
// its verdict and map, publish it, issue a release, verify the ledger, and
// check a CURP on the public page (blinded in WebAssembly).
func TestBrowser(t *testing.T) {
	b := tab{t, newBrowser(t)}
	e := newTestEnv(t, nil)
	base := e.ts.URL
	all := syntheticCURPs(120)
	leak := filepath.Join(t.TempDir(), "venta-padron-2021.txt")
	if err := os.WriteFile(leak, []byte(strings.Join(all[:100], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	b.do("open cases", browsertest.NavigateRetry(base+"/cases"), chromedp.WaitVisible("#login-form"))
	if loc := b.location(); !strings.Contains(loc, "/login") {
		t.Fatalf("without a session /cases went to %s, not the login page", loc)
	}
	b.do("log in",
		chromedp.SendKeys("#user", "cato"),
		chromedp.SendKeys("#password", "password-cato"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#upload"),
	)

	b.do("upload a leak",
		chromedp.SetUploadFiles("#leak-file", []string{leak}),
		chromedp.Click("#upload-submit"),
		chromedp.WaitVisible("#verdict"),
	)
	verdict, people, shade, credit := b.attr("#verdict", "data-verdict"), b.text("#people"), b.attr("#map-cmx", "data-people"), b.text("#map-credit")
	if verdict != "ours" || people != "100" || shade != "100" || !strings.Contains(credit, "CC BY 4.0") {
		t.Fatalf("case page: verdict %q, people %q, CDMX shade %q, credit %q", verdict, people, shade, credit)
	}
	loc := b.location()
	caseID := loc[strings.LastIndex(loc, "/")+1:]

	b.do("publish for the exposure check", chromedp.Click("#publish"), chromedp.WaitVisible("#is-published"))
	if f := b.text("#flash"); !strings.Contains(f, "Published for the exposure check") {
		t.Errorf("publish flash %q", f)
	}

	b.do("issue a release",
		browsertest.NavigateRetry(base+"/releases"),
		chromedp.SendKeys("#recipient", "PARTIDO NARANJA"),
		chromedp.SendKeys("#as-of", "2018-02-15"),
		chromedp.Click("#issue-submit"),
		chromedp.WaitVisible("#releases"),
	)
	if flash, table := b.text("#flash"), b.text("#releases"); !strings.Contains(flash, "Release issued") || !strings.Contains(table, "PARTIDO NARANJA") {
		t.Fatalf("release: flash %q, table %q", flash, table)
	}

	b.do("verify the ledger",
		browsertest.NavigateRetry(base+"/ledger?lang=en"),
		chromedp.Click("#verify"),
		chromedp.WaitVisible("#verify-result"),
	)
	if v := b.text("#verify-result"); !strings.Contains(v, "The ledger is intact") {
		t.Fatalf("ledger verify: %q", v)
	}

	b.do("check an exposed CURP on the public page",
		browsertest.NavigateRetry(base+"/check"),
		chromedp.WaitEnabled("#check-submit"),
		chromedp.SendKeys("#curp", strings.ToLower(all[42])),
		chromedp.Click("#check-submit"),
		chromedp.WaitVisible("#check-verdict.exposed"),
	)
	if res, hit := b.text("#check-verdict"), b.text("#check-cases"); !strings.Contains(res, "appears in these leaks") || strings.TrimSpace(hit) != caseID {
		t.Fatalf("check of an exposed CURP: %q, cases %q (want %s)", res, hit, caseID)
	}
	b.do("check a CURP that is not exposed",
		browsertest.NavigateRetry(base+"/check?lang=es"),
		chromedp.WaitEnabled("#check-submit"),
		chromedp.SendKeys("#curp", all[110]),
		chromedp.Click("#check-submit"),
		chromedp.WaitVisible("#check-verdict"),
	)
	if c := b.text("#check-verdict"); !strings.Contains(c, "no aparece en ninguna filtración publicada") {
		t.Fatalf("check of a clear CURP: %q", c)
	}
}
