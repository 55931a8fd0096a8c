package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/huella/huella/internal/"

// forbidden[p] lists the internal packages p must never import, directly.
// Analysis packages never import the server or the release writer; the
// bottom packages import nothing above them.
var forbidden = map[string][]string{
	"register":    {"*"},
	"ident":       {"*-register"},
	"addr":        {"*-register-ident"},
	"synth":       {"store", "ledger", "release", "server", "fingerprint", "analysis", "report"},
	"store":       {"release", "server", "fingerprint", "analysis", "report", "ledger"},
	"ledger":      {"store", "release", "server", "fingerprint", "analysis", "report"},
	"fingerprint": {"release", "server", "analysis", "report", "ledger"},
	"ingest":      {"release", "server", "analysis", "report", "store", "ledger"},
	"infer":       {"release", "server", "analysis", "report", "store", "ledger"},
	"linkage":     {"release", "server", "analysis", "report", "ledger"},
	"dating":      {"release", "server", "analysis", "report", "ledger"},
	"report":      {"release", "server", "analysis"},
	"analysis":    {"release", "server"},
	"release":     {"server", "analysis"},
	"exposure":    {"server", "release"},
}

func TestImportsPointDown(t *testing.T) {
	root := ".."
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		pkg := e.Name()
		rules, ok := forbidden[pkg]
		if !ok {
			continue
		}
		for _, imp := range importsOf(t, filepath.Join(root, pkg)) {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.SplitN(strings.TrimPrefix(imp, module), "/", 2)[0]
			if violates(rules, dep) {
				t.Errorf("internal/%s imports internal/%s: imports must point down", pkg, dep)
			}
		}
	}
}

// violates reads a rule list: a name forbids that package; "*" forbids all;
// "*-a-b" forbids all but a and b.
func violates(rules []string, dep string) bool {
	for _, r := range rules {
		if strings.HasPrefix(r, "*") {
			allowed := strings.Split(strings.TrimPrefix(r, "*"), "-")
			ok := false
			for _, a := range allowed {
				if a == dep {
					ok = true
				}
			}
			if !ok {
				return true
			}
			continue
		}
		if r == dep {
			return true
		}
	}
	return false
}

// importsOf lists the imports of the non-test Go files in dir.
func importsOf(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for _, is := range af.Imports {
			p, _ := strconv.Unquote(is.Path.Value)
			out = append(out, p)
		}
	}
	return out
}

func TestViolates(t *testing.T) {
	for _, tc := range []struct {
		rules []string
		dep   string
		want  bool
	}{
		{[]string{"*"}, "ident", true},
		{[]string{"*-register"}, "register", false},
		{[]string{"*-register"}, "store", true},
		{[]string{"server"}, "server", true},
		{[]string{"server"}, "store", false},
	} {
		if got := violates(tc.rules, tc.dep); got != tc.want {
			t.Errorf("violates(%v, %q) = %v, want %v", tc.rules, tc.dep, got, tc.want)
		}
	}
}
