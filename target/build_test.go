package target

import "testing"

// TestWindowsNames checks the file names CPython's Windows builds use
// (PC/layout, importlib.machinery.EXTENSION_SUFFIXES on Windows: e.g.
// ".cp311-win_amd64.pyd" and "_d.cp311-win_amd64.pyd" for a debug build;
// python311.dll, python311_d.dll, python313t.dll, python3.dll).
func TestWindowsNames(t *testing.T) {
	b := Windows.Build()
	for _, c := range []struct {
		mm              string
		abi3, debug, ft bool
		suffix, dll     string
	}{
		{"3.14", false, false, false, ".cp314-win_amd64.pyd", "python314.dll"},
		{"3.11", false, true, false, "_d.cp311-win_amd64.pyd", "python311_d.dll"},
		{"3.13", false, false, true, ".cp313t-win_amd64.pyd", "python313t.dll"},
		{"3.10", true, false, false, ".pyd", "python3.dll"},
	} {
		if got := b.ModuleSuffix(c.mm, c.abi3, c.debug, c.ft); got != c.suffix {
			t.Errorf("ModuleSuffix(%s, abi3=%v, debug=%v, ft=%v) = %q, want %q", c.mm, c.abi3, c.debug, c.ft, got, c.suffix)
		}
		if got := b.PythonDLL(c.mm, c.abi3, c.debug, c.ft); got != c.dll {
			t.Errorf("PythonDLL(%s, abi3=%v, debug=%v, ft=%v) = %q, want %q", c.mm, c.abi3, c.debug, c.ft, got, c.dll)
		}
	}
	if Linux.Build().Link != ELFShared || Windows.Build().Link != PEDLL {
		t.Error("link styles")
	}
}
