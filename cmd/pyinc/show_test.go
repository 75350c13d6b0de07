package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/crosscheck"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
)

// gccOffsets asks gcc for "offset size" of each member of T.
func gccOffsets(t *testing.T, r *pipeline.Result, T string, members ...string) []string {
	t.Helper()
	var b strings.Builder
	b.WriteString("int main(void) {\n")
	for _, m := range members {
		fmt.Fprintf(&b, "\tprintf(\"%%zu %%zu\\n\", offsetof(%s, %s), sizeof(((%s *)0)->%s));\n", T, m, T, m)
	}
	b.WriteString("\treturn 0;\n}\n")
	out, err := crosscheck.RunC(r.Unit, b.String(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// fields is a line of output split at runs of spaces.
func fields(line string) []string { return strings.Fields(line) }

// TestShow: pyinc show's numbers are gcc's.
func TestShow(t *testing.T) {
	testutil.NeedTools(t, "gcc")
	r := testutil.Generate(t, "3.12")
	stdout, stderr, code := pyinc(t, "show", "PyASCIIObject", "--python", "3.12")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	members := []string{"ob_base", "length", "hash", "state"}
	want := gccOffsets(t, r, "PyASCIIObject", members...)
	rows := map[string]string{}
	for _, l := range strings.Split(stdout, "\n") {
		if f := fields(l); len(f) >= 3 {
			rows[f[2]] = f[0] + " " + f[1]
		}
	}
	for i, m := range members {
		if rows[m] != want[i] {
			t.Errorf("%s: show %q, gcc %q\n%s", m, rows[m], want[i], stdout)
		}
	}
	if !strings.Contains(stdout, "tail padding") || !strings.Contains(stdout, "#.......  bit 7     unsigned int") {
		t.Errorf("no tail padding or bit 7 drawn:\n%s", stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show"}, "one argument"},
		{[]string{"show", "NoSuchStruct", "--python", "3.12"}, "has no struct or union NoSuchStruct"},
		{[]string{"show", "PyASCIIObject", "--python", "3.12", "--limited-api", "3.8"}, "the limited API 3.8 hides PyASCIIObject"},
		{[]string{"show", "NoSuchStruct", "--python", "3.12", "--limited-api", "3.8"}, "has no struct or union NoSuchStruct"},
		{[]string{"show", "PyObject", "--across", "--python", "3.12"}, "--python does not apply"},
	} {
		_, stderr, code := pyinc(t, c.args...)
		checkError(t, stderr, code, c.want)
	}
}

// TestShowAcross: a column per Python; wstr is where gcc puts it in 3.11
// and blank in 3.12.
func TestShowAcross(t *testing.T) {
	testutil.NeedTools(t, "gcc")
	r11, r12 := testutil.Generate(t, "3.11"), testutil.Generate(t, "3.12")
	stdout, stderr, code := pyinc(t, "show", "PyASCIIObject", "--across")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	head := fields(lines[0])
	col := func(version string) int {
		for i, h := range head {
			if h == version {
				return i
			}
		}
		t.Fatalf("no column %s in %q", version, lines[0])
		return 0
	}
	c11, c12 := col(r11.Model.PyVersion), col(r12.Model.PyVersion)
	// Cells are right-aligned under their titles, no wider than these
	// titles: read each under its title.
	end := func(c int) int {
		return strings.Index(lines[0], " "+head[c]) + 1 + len(head[c])
	}
	cell := func(member string, c int) string {
		for _, l := range lines[1:] {
			if f := fields(l); len(f) > 0 && f[0] == member {
				e := end(c)
				if start := e - len(head[c]); start < len(l) {
					return strings.TrimSpace(l[start:min(e, len(l))])
				}
				return ""
			}
		}
		t.Fatalf("no row %s", member)
		return ""
	}
	w11 := strings.Fields(gccOffsets(t, r11, "PyASCIIObject", "wstr")[0])[0]
	if got := cell("wstr", c11); got != w11 {
		t.Errorf("wstr in %s: %q, gcc %s\n%s", head[c11], got, w11, stdout)
	}
	if got := cell("wstr", c12); got != "" {
		t.Errorf("wstr in %s: %q, want blank\n%s", head[c12], got, stdout)
	}
	h12 := strings.Fields(gccOffsets(t, r12, "PyASCIIObject", "hash")[0])[0]
	if got := cell("hash", c12); got != h12 {
		t.Errorf("hash in %s: %q, gcc %s", head[c12], got, h12)
	}
}
