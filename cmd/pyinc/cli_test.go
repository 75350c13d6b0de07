package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// TestHelpForms: every way of asking for help prints the usage once, on
// stdout, with nothing on stderr and exit status 0; 'help CMD' is CMD's.
func TestHelpForms(t *testing.T) {
	forms := [][]string{{"--help"}, {"-h"}, {"help"}, {}}
	for _, c := range []string{"gen", "list", "diff", "show", "regen", "new", "build", "sdist", "develop", "version", "completion"} {
		forms = append(forms, []string{c, "--help"}, []string{c, "-h"}, []string{"help", c})
	}
	for _, args := range forms {
		stdout, stderr, code := pyinc(t, args...)
		if code != 0 || stderr != "" {
			t.Errorf("pyinc %v: exit %d, stderr %q", args, code, stderr)
		}
		if n := strings.Count(stdout, "Usage:"); n != 1 {
			t.Errorf("pyinc %v: the usage appears %d times in:\n%s", args, n, stdout)
		}
	}
	viaHelp, _, _ := pyinc(t, "help", "gen")
	viaFlag, _, _ := pyinc(t, "gen", "--help")
	if viaHelp != viaFlag || !strings.Contains(viaHelp, "pyinc gen") || !strings.Contains(viaHelp, "--include-dir") {
		t.Errorf("'help gen' is not gen's help:\n%s", viaHelp)
	}
	top, _, _ := pyinc(t, "--help")
	for _, want := range []string{"130", "143", "differences found"} {
		if !strings.Contains(top, want) {
			t.Errorf("pyinc --help does not document exit status %q", want)
		}
	}
}

// TestUsageErrors: a mistake is one line on stderr naming it and the fix,
// with the nearest command or flag, and exit status 2.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gne"}, `unknown command "gne"; did you mean "gen"?`},
		{[]string{"lsit"}, `did you mean "list"?`},
		{[]string{"help", "dif"}, `did you mean "diff"?`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"; run 'pyinc --help'`},
		{[]string{"gen", "--pyhton", "3.9"}, "unknown flag --pyhton; did you mean --python?"},
		{[]string{"diff", "--formt", "json", "a.inc", "b.inc"}, "did you mean --format?"},
		{[]string{"gen", "--quiet=maybe"}, "invalid argument"},
		{[]string{"diff", "--format", "yaml", "a.inc", "b.inc"}, "pass text or json"},
		{[]string{"completion", "tcsh"}, "bash, zsh or fish"},
		{[]string{"list", "extra"}, `unexpected argument "extra"`},
	} {
		stdout, stderr, code := pyinc(t, c.args...)
		checkError(t, stderr, code, c.want)
		if stdout != "" {
			t.Errorf("pyinc %v: stdout %q", c.args, stdout)
		}
	}
}

// TestLimitedAPINewerThanHeaders: a stable ABI version the headers cannot
// know is refused, not written into an include that claims it.
func TestLimitedAPINewerThanHeaders(t *testing.T) {
	py := pythons(t)[0]
	if strings.HasPrefix(py.Version, "2.") {
		t.Skip("the first Python found is 2.7: no limited API")
	}
	out := filepath.Join(t.TempDir(), "python.inc")
	_, stderr, code := pyinc(t, "gen", "--python", py.Interpreter, "--limited-api", "3.99", "-o", out)
	checkError(t, stderr, code, "know the limited API only up to "+py.MajorMinor())
	if _, err := os.Stat(out); err == nil {
		t.Errorf("an include was written")
	}
}

// TestVersion: what was built, from the build information: this
// checkout's revision, dirty when git says the work tree has changes.
func TestVersion(t *testing.T) {
	out, _, code := pyinc(t, "version")
	flag, _, _ := pyinc(t, "--version")
	m := regexp.MustCompile(`^pyinc (\S+) \((go[0-9.]+), ([a-z0-9]+/[a-z0-9]+)\)\n$`).FindStringSubmatch(out)
	if code != 0 || m == nil || flag != out {
		t.Fatalf("version: exit %d, %q; --version %q", code, out, flag)
	}
	if m[2] != runtime.Version() || m[3] != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version names %s %s, the toolchain is %s %s/%s", m[2], m[3], runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the revision is not checked", err)
	}
	if worktree(t) {
		// go build stamps a revision only where .git is a directory, not
		// in a linked work tree (git worktree add), where it is a file.
		if m[1] != "(devel)" {
			t.Errorf("version %s in a linked work tree, which go build does not stamp: want (devel)", m[1])
		}
		return
	}
	status, _ := exec.Command("git", "status", "--porcelain").Output()
	rev, dirty := strings.CutSuffix(m[1], "-dirty")
	if want := strings.TrimSpace(string(head))[:12]; rev != want {
		t.Errorf("version %s, want the revision %s (git rev-parse HEAD)", m[1], want)
	}
	if dirty != (len(status) > 0) && !changedSince(t, testutil.Pyinc(t), string(status)) {
		t.Errorf("version %s, yet git status says the work tree is %s", m[1], map[bool]string{true: "changed", false: "clean"}[len(status) > 0])
	}
}

// worktree says whether the checkout is a linked work tree: its .git is a
// file naming the repository's, not a directory.
func worktree(t *testing.T) bool {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git"))
	return err == nil && !st.IsDir()
}

// changedSince says whether a file git status lists changed after bin was
// built: then the work tree is not what the build saw.
func changedSince(t *testing.T, bin, status string) bool {
	built, err := os.Stat(bin)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(strings.TrimSpace(status), "\n") {
		if len(line) < 4 {
			continue
		}
		if st, err := os.Stat(filepath.Join(repoRoot(t), line[3:])); err != nil || st.ModTime().After(built.ModTime()) {
			t.Logf("%s changed after pyinc was built: the dirty flag is not checked", line[3:])
			return true
		}
	}
	return false
}

func repoRoot(t *testing.T) string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestCompletionScripts: each script loads in its shell.
func TestCompletionScripts(t *testing.T) {
	dir := t.TempDir()
	for _, shell := range []string{"bash", "zsh", "fish"} {
		script, stderr, code := pyinc(t, "completion", shell)
		if code != 0 || stderr != "" || !strings.Contains(script, "pyinc") {
			t.Fatalf("completion %s: exit %d, %q", shell, code, stderr)
		}
		path := filepath.Join(dir, "pyinc."+shell)
		os.WriteFile(path, []byte(script), 0o644)
		t.Run(shell, func(t *testing.T) {
			if _, err := exec.LookPath(shell); err != nil {
				t.Skipf("%s is not installed (make deps installs it): its script is not checked", shell)
			}
			var cmd *exec.Cmd
			switch shell {
			case "bash":
				cmd = exec.Command("bash", "-c", "source "+path+" && complete -p pyinc")
			case "zsh":
				cmd = exec.Command("zsh", "-n", path)
			case "fish":
				cmd = exec.Command("fish", "--no-execute", path)
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s rejects the script: %v\n%s", shell, err, out)
			}
			if shell == "bash" && !strings.Contains(string(out), "complete") {
				t.Errorf("bash registered no completion for pyinc: %q", out)
			}
		})
	}
}

// TestBashCompletes runs bash's completion function as bash would on a
// Tab: a command from its prefix, and --python from the Pythons found.
func TestBashCompletes(t *testing.T) {
	// The script builds on the bash-completion package, as on users' machines.
	const framework = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(framework); err != nil {
		t.Skip("bash-completion is not installed (make deps installs it)")
	}
	bin := testutil.Pyinc(t)
	script, _, _ := pyinc(t, "completion", "bash")
	path := filepath.Join(t.TempDir(), "pyinc.bash")
	os.WriteFile(path, []byte(script), 0o644)
	complete := func(words ...string) []string {
		t.Helper()
		line := strings.Join(words, " ") // an empty last word: the cursor after a space
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = "'" + w + "'"
		}
		prog := "source " + framework + "; source " + path + `
COMP_WORDS=(` + strings.Join(quoted, " ") + `); COMP_CWORD=$((${#COMP_WORDS[@]}-1))
COMP_LINE="` + line + `"; COMP_POINT=${#COMP_LINE}
__start_pyinc pyinc
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", prog)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("completing %q: %v", line, err)
		}
		return strings.Fields(string(out))
	}
	if got := complete("pyinc", "ge"); strings.Join(got, " ") != "gen" {
		t.Errorf("pyinc ge<Tab>: %v, want gen", got)
	}
	got := strings.Join(complete("pyinc", "gen", "--python", ""), " ")
	for _, py := range pythons(t) {
		if py.Interpreter != "" && !strings.Contains(" "+got+" ", " "+py.MajorMinor()+" ") {
			t.Errorf("pyinc gen --python <Tab> lacks %s: %s", py.MajorMinor(), got)
		}
	}
}

// TestCompletionValues asks pyinc's completion command directly, as every
// shell's script does: --python offers what 'pyinc list' finds, --define
// the configuration macros, --limited-api 3.2 up to the newest Python.
func TestCompletionValues(t *testing.T) {
	listed, _, code := pyinc(t, "list", "--porcelain")
	if code != 0 {
		t.Skip("no Python found: nothing to complete")
	}
	values := func(args ...string) string {
		out, _, code := pyinc(t, append([]string{"__complete"}, args...)...)
		if code != 0 {
			t.Fatalf("__complete %v: exit %d", args, code)
		}
		var names []string
		for _, line := range strings.Split(out, "\n") {
			if line != "" && !strings.HasPrefix(line, ":") {
				names = append(names, strings.SplitN(line, "\t", 2)[0])
			}
		}
		return " " + strings.Join(names, " ") + " "
	}
	pyValues := values("gen", "--python", "")
	newest := 0
	for _, line := range strings.Split(strings.TrimSpace(listed), "\n") {
		f := strings.Split(line, "\t")
		if !strings.Contains(pyValues, " "+f[0]+" ") {
			t.Errorf("--python completion lacks %s (from pyinc list): %s", f[0], pyValues)
		}
		if f[1] != "-" && !strings.Contains(pyValues, " "+f[1]+" ") {
			t.Errorf("--python completion lacks the interpreter %s", f[1])
		}
		var major, minor int
		if _, err := fmtSscanf(f[0], &major, &minor); err == nil && major == 3 && minor > newest {
			newest = minor
		}
	}
	if d := values("gen", "--define", ""); !strings.Contains(d, " Py_GIL_DISABLED ") || !strings.Contains(d, " Py_TRACE_REFS ") {
		t.Errorf("--define completion: %s", d)
	}
	la := values("diff", "--to-limited-api", "")
	if newest > 0 && (!strings.Contains(la, " 3.2 ") || !strings.Contains(la, " 3."+itoa(newest)+" ") || strings.Contains(la, " 3."+itoa(newest+1)+" ")) {
		t.Errorf("--limited-api completion should run 3.2 to 3.%d: %s", newest, la)
	}
}

// TestManPages: make man's pages, one per command, render without warnings.
func TestManPages(t *testing.T) {
	// make man's pyinc: built with -tags man.
	bin := filepath.Join(t.TempDir(), "pyinc-man")
	build := exec.Command("go", "build", "-tags", "man", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags man: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command(bin, "man", dir).CombinedOutput(); err != nil {
		t.Fatalf("man: %v: %s", err, out)
	}
	if _, stderr, code := pyinc(t, "man", dir); code != 2 || !strings.Contains(stderr, "unknown command \"man\"") {
		t.Errorf("the everyday pyinc has a man command (exit %d, %q): it should need -tags man", code, stderr)
	}
	for _, page := range []string{"pyinc.1", "pyinc-gen.1", "pyinc-list.1", "pyinc-diff.1", "pyinc-completion.1"} {
		path := filepath.Join(dir, page)
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s was not written", page)
			continue
		}
		if _, err := exec.LookPath("man"); err != nil {
			continue
		}
		cmd := exec.Command("man", "--warnings", "-l", path)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.Len() > 0 || !strings.Contains(string(out), "SYNOPSIS") {
			t.Errorf("man -l %s: %v, warnings %q", page, err, stderr.String())
		}
	}
	if _, err := exec.LookPath("man"); err != nil {
		t.Skip("man is not installed: the pages were written but not rendered")
	}
}

func fmtSscanf(s string, major, minor *int) (int, error) { return fmt.Sscanf(s, "%d.%d", major, minor) }

func itoa(n int) string { return strconv.Itoa(n) }

// TestOutputDirectory: -o naming an existing directory, or a new one with
// a trailing slash, writes python.inc into it.
func TestOutputDirectory(t *testing.T) {
	py := pythons(t)[0]
	fresh := filepath.Join(t.TempDir(), "inc") + "/"
	if _, stderr, code := pyinc(t, "gen", "-q", "--python", py.Interpreter, "-o", fresh); code != 0 {
		t.Fatalf("gen -o NEWDIR/: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(fresh, "python.inc")); err != nil {
		t.Errorf("NEWDIR/python.inc was not written: %v", err)
	}
	dir := t.TempDir()
	if _, stderr, code := pyinc(t, "gen", "-q", "--python", py.Interpreter, "-o", dir); code != 0 {
		t.Fatalf("gen -o DIR: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "python.inc"))
	if err != nil || !strings.HasSuffix(string(b), "%endif ; PYINC_PYTHON_INC\n") {
		t.Errorf("DIR/python.inc is not a whole include: %v", err)
	}
}
