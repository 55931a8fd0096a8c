package main

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

// TestServeDemoBrowser is the newcomer's path with every real part: after
// "huella demo", "huella serve" on its workspace; in headless Chromium a
// custodian logs in, sees the cases and the map, uploads the leaked sample
// and reads its verdict, issues a release, verifies the ledger, publishes
// the case and checks a CURP on /check. It skips without Chromium.
func TestServeDemoBrowser(t *testing.T) {
	bin := os.Getenv("HUELLA_CHROMIUM")
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if bin != "" {
			break
		}
		bin, _ = exec.LookPath(n)
	}
	if bin == "" {
		if os.Getenv("HUELLA_REQUIRE_BROWSER") != "" {
			t.Fatal("no chromium binary found and HUELLA_REQUIRE_BROWSER is set (install with .ci/install-chromium.sh)")
		}
		t.Skip("no chromium binary found (install with .ci/install-chromium.sh or set HUELLA_CHROMIUM): skipping browser test")
	}
	if testing.Short() {
		t.Skip("skipping the demo browser test in -short mode")
	}
	work := t.TempDir()
	if _, e, code := huellaRun(t, "", "", "demo", "--people", "200", "--work", work); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, e)
	}
	dir := filepath.Join(work, "ws")
	if _, e, code := huellaRun(t, dir, "demo-password\n", "user", "add", "ana", "--role", "custodian"); code != 0 {
		t.Fatalf("user add: %s", e)
	}
	ts := testServer(t, dir)

	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900))
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()
	ctx, cancelT := context.WithTimeout(ctx, 180*time.Second) // a loaded 2-core machine: once over 90 s
	defer cancelT()
	do := func(step string, a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	attr := func(sel, name string) string {
		t.Helper()
		a, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, name))
		if err != nil {
			t.Fatalf("%s of %s: %v", name, sel, err)
		}
		return a.Value
	}
	base := ts.URL

	do("log in and see the cases",
		browsertest.NavigateRetry(base+"/"),
		chromedp.WaitVisible("#login-form"),
		chromedp.SendKeys("#user", "ana"),
		chromedp.SendKeys("#password", "demo-password"),
		chromedp.Click("#login-submit"),
		chromedp.WaitVisible("#cases"),
	)
	if cases := text("#cases"); strings.Count(cases, "a1-") != 2 {
		t.Fatalf("the demo's two cases are not listed: %q", cases)
	}

	do("upload the leaked sample",
		chromedp.SetUploadFiles("#leak-file", []string{filepath.Join(work, "leak", "muestra-padron-ine-2021.csv")}),
		chromedp.Click("#upload-submit"),
		chromedp.WaitVisible("#verdict"),
		chromedp.WaitVisible("#attribution"),
	)
	if v := attr("#verdict", "data-verdict"); v != "ours" {
		t.Fatalf("verdict of the demo's leaked sample: %q", v)
	}
	if a := text("#attribution"); !strings.Contains(a, "PARTIDO NARANJA") || !strings.Contains(a, "accused") {
		t.Errorf("attribution table does not accuse PARTIDO NARANJA: %q", a)
	}
	if n := attr("#map-cmx", "data-people"); n == "" || n == "0" {
		t.Errorf("the map does not shade Ciudad de México: %q", n)
	}
	if c := text("#map-credit"); !strings.Contains(c, "CC BY 4.0") {
		t.Errorf("map credit %q", c)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	caseID := loc[strings.LastIndex(loc, "/")+1:]

	do("publish the case for /check", chromedp.Click("#publish"), chromedp.WaitVisible("#is-published"))

	do("issue a release",
		browsertest.NavigateRetry(base+"/releases"),
		chromedp.SendKeys("#recipient", "PARTIDO NUEVO"),
		chromedp.SendKeys("#as-of", "2021-02-15"),
		chromedp.Click("#issue-submit"),
		chromedp.WaitVisible("#flash"),
	)
	if tb := text("#releases"); !strings.Contains(tb, "PARTIDO NUEVO") || !strings.Contains(tb, "2021-02-15") {
		t.Fatalf("the new release is not listed: %q", tb)
	}
	// Download the new copy as the page's link does.
	head, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector("#releases tbody tr a").href).then(r => r.status + " " + r.headers.get("Content-Disposition")).catch(e => "" + e)`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(head, "200 attachment") {
		t.Fatalf("download of the new release: %q, %v", head, err)
	}
	// The oldest release was written by "huella release" in the demo, outside
	// the workspace: it is offered for download too.
	head, err = chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const rows = document.querySelectorAll("#releases tbody tr"), last = rows[rows.length - 1];
		const a = last.querySelector("a");
		if (!a) return "no link: " + last.innerText;
		const r = await fetch(a.href);
		return r.status + " " + (await r.text()).split("\n")[0];
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(head, "200 clave_elector,") {
		t.Fatalf("download of a release made by huella release: %q, %v", head, err)
	}

	do("verify the ledger",
		browsertest.NavigateRetry(base+"/ledger"),
		chromedp.Click("#verify"),
		chromedp.WaitVisible("#verify-result"),
	)
	if v := text("#verify-result"); !strings.Contains(v, "intact") && !strings.Contains(v, "íntegra") {
		t.Fatalf("ledger verification: %q", v)
	}
	do("an inclusion proof", chromedp.Click(".proof-link"), chromedp.WaitVisible("#proof"))
	if p := text("#proof"); !strings.Contains(p, `"inclusion"`) {
		t.Errorf("proof: %q", p)
	}

	b, err := os.ReadFile(filepath.Join(dir, "cases", caseID, "affected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		t.Fatalf("affected.csv has no CURP")
	}
	do("check an exposed CURP on /check",
		browsertest.NavigateRetry(base+"/check"),
		chromedp.WaitEnabled("#check-submit"),
		chromedp.SendKeys("#curp", lines[1]),
		chromedp.Click("#check-submit"),
		chromedp.WaitVisible("#check-verdict"),
	)
	if cl := attr("#check-verdict", "class"); cl != "exposed" || !strings.Contains(text("#check-cases"), caseID) {
		t.Fatalf("check of an affected CURP: class %q, cases %q", cl, text("#check-result"))
	}
}
