package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
)

// TestDevelopPip27: develop's pip runs isolated as every interpreter pyinc
// runs: -I where the Python has it, -E -s for 2.7 (whose python rejects
// -I with "Unknown option: -I", as the stand-in does), always in a
// neutral directory.
func TestDevelopPip27(t *testing.T) {
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	stub := filepath.Join(dir, "python")
	os.WriteFile(stub, []byte(`#!/bin/sh
if [ "$1" = -I ]; then echo "Unknown option: -I" >&2; exit 2; fi
echo "$* $(pwd)" >> `+args+"\n"), 0o755)
	py := &cparse.Python{Version: "2.7.18", Interpreter: stub}
	if err := pipInstall(py, filepath.Join(dir, "m-1.0-cp27-cp27mu-linux_x86_64.whl")); err != nil {
		t.Fatalf("pip of a 2.7: %v", err)
	}
	if err := checkImports(py, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(args)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "-E -s -m pip --version") || !strings.HasPrefix(lines[1], "-E -s -m pip install") || !strings.HasSuffix(lines[1], " /") {
		t.Errorf("2.7's pip ran as %q, want -E -s -m pip ... in /", lines)
	}
}
