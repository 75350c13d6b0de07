package cparse

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

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
