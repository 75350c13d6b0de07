package cparse

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/internal/cache"
)

// TestKeptCompilerConfig: the configuration rebuilt from the compiler's
// kept answers is the one cc.NewConfig makes.
func TestKeptCompilerConfig(t *testing.T) {
	want, err := cc.NewConfig("linux", "amd64")
	if err != nil {
		t.Skipf("no host C compiler cc/v4 can use: %v", err)
	}
	store := cache.Dir(t.TempDir())
	first, err := loadHostCompiler(store)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := store.Get(compilerKey()); !ok && stdcVersion(first.Predefined) < 202000 {
		t.Fatal("the compiler's answers were not kept")
	}
	kept, err := loadHostCompiler(store)
	if err != nil {
		t.Fatal(err)
	}
	got, err := kept.config()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"ABI", got.ABI, want.ABI},
		{"CC", got.CC, want.CC},
		{"HostIncludePaths", got.HostIncludePaths, want.HostIncludePaths},
		{"HostSysIncludePaths", got.HostSysIncludePaths, want.HostSysIncludePaths},
		{"IncludePaths", got.IncludePaths, want.IncludePaths},
		{"SysIncludePaths", got.SysIncludePaths, want.SysIncludePaths},
		{"Predefined", got.Predefined, want.Predefined},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s: rebuilt %#v, cc.NewConfig %#v", f.name, f.got, f.want)
		}
	}
	// What the fields above do not show (keywords, options) must agree
	// as well: everything else compared whole.
	got.ABI, want.ABI = nil, nil
	got.Predefined, want.Predefined = "", ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rebuilt configuration differs from cc.NewConfig's:\n%#v\n%#v", got, want)
	}
}

// TestKeptQueryAnswer: an interpreter's answer is kept, and asked again
// when one of the files it came from changes.
func TestKeptQueryAnswer(t *testing.T) {
	dir := t.TempDir()
	interp := filepath.Join(dir, "python3.99")
	data := filepath.Join(dir, "_sysconfigdata.py")
	runs := filepath.Join(dir, "runs")
	os.WriteFile(data, []byte("one"), 0o644)
	// The stand-in interpreter uses shell built-ins only (the fast tier may
	// run with no more than go, gcc and binutils on PATH): its version
	// ends in the data file's length.
	os.WriteFile(interp, []byte("#!/bin/sh\necho run >> "+runs+"\nread -r d < "+data+"; echo version=3.99.${#d}\necho file="+data+"\n"), 0o755)
	ran := func() int { b, _ := os.ReadFile(runs); return len(b) / len("run\n") }
	KeepAnswers(filepath.Join(dir, "cache"))
	defer KeepAnswers("")
	for i := 0; i < 2; i++ {
		if p, err := Query(interp); err != nil || p.Version != "3.99.3" {
			t.Fatalf("Query = %+v, %v", p, err)
		}
	}
	if ran() != 1 {
		t.Errorf("the interpreter ran %d times for two queries: its answer was not kept", ran())
	}
	// The data module changes: the interpreter is asked again.
	os.WriteFile(data, []byte("three"), 0o644)
	if p, _ := Query(interp); p.Version != "3.99.5" || ran() != 2 {
		t.Errorf("after a change of the data module: version %s, %d runs", p.Version, ran())
	}
	KeepAnswers("")
	Query(interp)
	if ran() != 3 {
		t.Errorf("without a cache directory the answer was kept")
	}
}

// TestCompilerKey: another compiler, or the same one rebuilt, is asked
// again.
func TestCompilerKey(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "mycc")
	os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755)
	t.Setenv("CC", fake)
	before := compilerKey()
	os.WriteFile(fake, []byte("#!/bin/sh\n# rebuilt\n"), 0o755)
	if compilerKey() == before {
		t.Error("a rewritten compiler kept its key")
	}
	t.Setenv("CC", "")
	if compilerKey() == before {
		t.Error("another compiler has the same key")
	}
}

// TestKeptAnswersPerPath: a venv's python is a link to its base
// interpreter but answers for itself; a kept answer for one must not be
// served for the other.
func TestKeptAnswersPerPath(t *testing.T) {
	dir := t.TempDir()
	KeepAnswers(filepath.Join(dir, "cache"))
	defer KeepAnswers("")
	script := filepath.Join(dir, "python3.98")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"version=3.98.0\"\necho \"executable=$0\"\n"), 0o755)
	base, venv := filepath.Join(dir, "base"), filepath.Join(dir, "venv-python")
	for _, link := range []string{base, venv} {
		if err := os.Symlink(script, link); err != nil {
			t.Fatal(err)
		}
	}
	for _, interp := range []string{base, venv, base, venv} {
		p, err := Query(interp)
		if err != nil {
			t.Fatal(err)
		}
		if p.Interpreter != interp {
			t.Errorf("Query(%s) answered for %s", interp, p.Interpreter)
		}
	}
}

// TestQueryIsolated: the query runs with -I in a neutral directory; an
// interpreter that rejects -I (2.7) is asked again with -E -s; one that
// never answers is given up on; answers that are no file name or path are
// refused.
func TestQueryIsolated(t *testing.T) {
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755)
		return p
	}
	modern := script("python3.97", `echo "$1 $(pwd)" > `+args+`; echo version=3.97.0`+"\n")
	if _, err := Query(modern); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(args); string(b) != "-I /\n" {
		t.Errorf("the query ran as %q, want -I in /", b)
	}
	// A relative path names the file from the user's directory, not
	// from the neutral one the query runs in.
	t.Chdir(dir)
	if p, err := Query("./python3.97"); err != nil || p.Version != "3.97.0" {
		t.Errorf("Query(./python3.97) = %v, %v", p, err)
	}
	old := script("python2.7", `if [ "$1" = -I ]; then echo "Unknown option: -I" >&2; exit 2; fi
echo "$1 $2 $(pwd)" > `+args+`; echo version=2.7.18`+"\n")
	if p, err := Query(old); err != nil || p.Version != "2.7.18" {
		t.Fatalf("Query(2.7) = %v, %v", p, err)
	}
	if b, _ := os.ReadFile(args); string(b) != "-E -s /\n" {
		t.Errorf("2.7's query ran as %q, want -E -s in /", b)
	}
	defer func(d time.Duration) { QueryTimeout = d }(QueryTimeout)
	QueryTimeout = 300 * time.Millisecond
	start := time.Now()
	// Shell built-ins only (no sleep): the fast tier may have nothing but
	// go, gcc and binutils on PATH.
	if _, err := Query(script("python3.96", "while :; do :; done\n")); err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Errorf("a hanging interpreter: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the timeout took %v", time.Since(start))
	}
	for body, want := range map[string]string{
		"echo version=3.95.0; echo ext_suffix=.so/../../../tmp/planted": "EXT_SUFFIX",
		"echo version=3.95.0; echo ext_suffix=..so":                     "EXT_SUFFIX",
		"echo version=3.95.0; echo include=relative/dir":                "not an absolute path",
		"echo version=3.95.0; echo ldlibrary=../../libpython.so":        "not a file name",
		"echo version=3.95.0; echo abiflags=d/../":                      "ABI flags",
		"echo version=banana":                                           "has no version",
		"echo nothing":                                                  "has no version",
	} {
		if _, err := Query(script("python3.95", body+"\n")); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("answer %q: %v, want one line saying %q", body, err, want)
		}
	}
	good := script("python3.94", "echo version=3.94.0; echo ext_suffix=.cpython-394-x86_64-linux-gnu.so\n")
	if p, err := Query(good); err != nil || p.ExtSuffix != ".cpython-394-x86_64-linux-gnu.so" {
		t.Errorf("a good answer: %v, %v", p, err)
	}
}

// TestIsolatedCommand: -I for the Pythons that have it (the option is new
// in 3.4), -E -s before; always in / by an
// absolute path.
func TestIsolatedCommand(t *testing.T) {
	for version, want := range map[string]string{"2.7.18": "-E -s", "3.3.7": "-E -s", "3.4.0": "-I", "3.12.1": "-I", "3.15.0": "-I"} {
		cmd := (&Python{Version: version, Interpreter: "bin/python"}).IsolatedCommand("-m", "pip")
		if got := strings.Join(cmd.Args[1:], " "); got != want+" -m pip" || cmd.Dir != "/" || !filepath.IsAbs(cmd.Path) {
			t.Errorf("%s: %s %q in %q, want %s -m pip in /", version, cmd.Path, got, cmd.Dir, want)
		}
	}
}
