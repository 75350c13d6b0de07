package target

import (
	"os/exec"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, name := range []string{"", "linux-x86_64", "windows-x86_64"} {
		tg, err := Parse(name)
		if err != nil {
			t.Fatalf("Parse(%q): %v", name, err)
		}
		want := name
		if name == "" {
			want = "linux-x86_64"
		}
		if tg.Name != want {
			t.Errorf("Parse(%q).Name = %q, want %q", name, tg.Name, want)
		}
	}
	_, err := Parse("win64")
	if err == nil || !strings.Contains(err.Error(), "linux-x86_64, windows-x86_64") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Parse(win64) = %v, want one line naming the targets", err)
	}
}

func TestParseCopies(t *testing.T) {
	a, _ := Parse("windows-x86_64")
	a.CrossCFlags[0] = "changed"
	b, _ := Parse("windows-x86_64")
	if b.CrossCFlags[0] == "changed" {
		t.Error("Parse hands out the package's own slice")
	}
}

func TestNames(t *testing.T) {
	got := strings.Join(Names(), " ")
	if got != "linux-x86_64 windows-x86_64" {
		t.Errorf("Names() = %s", got)
	}
	if !Linux.IsDefault() || Windows.IsDefault() {
		t.Error("IsDefault")
	}
}

// TestDataModel checks each target's data model against its compiler,
// where that compiler is installed: sizeof(long), sizeof(wchar_t) and
// sizeof(long double) as it compiles them with the target's flags.
func TestDataModel(t *testing.T) {
	for _, tg := range []Target{Linux, Windows} {
		t.Run(tg.Name, func(t *testing.T) {
			if _, err := exec.LookPath(tg.CrossCC); err != nil {
				t.Skipf("%s is not installed (make deps installs it)", tg.CrossCC)
			}
			args := append([]string{"-E", "-dM"}, tg.CrossCFlags...)
			cmd := exec.Command(tg.CrossCC, append(args, "-x", "c", "-")...)
			cmd.Stdin = strings.NewReader("")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", tg.CrossCC, err)
			}
			for macro, want := range map[string]int64{
				"__SIZEOF_LONG__": tg.LongSize, "__SIZEOF_WCHAR_T__": tg.WCharSize,
				"__SIZEOF_LONG_DOUBLE__": tg.LongDoubleSize,
			} {
				if got := macroValue(string(out), macro); got != want {
					t.Errorf("%s: %s = %d, the target says %d", tg.CrossCC, macro, got, want)
				}
			}
		})
	}
}

func macroValue(defs, name string) int64 {
	for _, l := range strings.Split(defs, "\n") {
		if v, ok := strings.CutPrefix(l, "#define "+name+" "); ok {
			var n int64
			for _, c := range v {
				n = n*10 + int64(c-'0')
			}
			return n
		}
	}
	return -1
}
