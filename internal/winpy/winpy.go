// Package winpy runs real Windows CPython builds under Wine, for the tests
// and benchmarks of modules built for the windows-x86_64 target.
//
// The interpreters are MSVC-built CPython releases as the Go module
// github.com/kluctl/go-embed-python carries them (one module version per
// CPython version, each with a pure-Python pip). That module is not a
// dependency of pyinc: cmd/winpython fetches it with `go mod download`
// outside pyinc's module and unpacks its Windows files into
// .cache/winpython/<version>/, and makes a Wine prefix in .cache/wine.
package winpy

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Module is the Go module that carries the interpreters.
const Module = "github.com/kluctl/go-embed-python"

// Versions maps each CPython version this package provides to the version
// of Module that carries it.
var Versions = map[string]string{
	"3.10.16": "v0.0.0-3.10.16-20241219-1",
	"3.11.11": "v0.0.0-3.11.11-20241219-1",
	"3.14.6":  "v0.0.0-3.14.6-20260610-1",
}

// fileList is the module's files.json: every file of a tree, the regular
// ones stored beside it, gzip-compressed when Compressed is set.
type fileList struct {
	ContentHash string `json:"contentHash"`
	Files       []struct {
		Name       string      `json:"name"`
		Perm       fs.FileMode `json:"perm"`
		Compressed bool        `json:"compressed"`
	} `json:"files"`
}

// stampName is written last into an unpacked tree: its content hash, so a
// half-written tree or one from another module version is unpacked again.
const stampName = ".pyinc-unpacked"

// Unpack writes the tree that files.json in src describes into dst, unless
// dst already holds that tree. It works in a sibling directory and renames
// it into place, so an interrupted run leaves no half tree at dst.
func Unpack(src, dst string) error {
	raw, err := os.ReadFile(filepath.Join(src, "files.json"))
	if err != nil {
		return err
	}
	var list fileList
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("%s: %v", filepath.Join(src, "files.json"), err)
	}
	if stamp, err := os.ReadFile(filepath.Join(dst, stampName)); err == nil && string(stamp) == list.ContentHash {
		return nil
	}
	tmp := dst + ".tmp"
	os.RemoveAll(tmp)
	for _, f := range list.Files {
		if !filepath.IsLocal(f.Name) {
			return fmt.Errorf("%s: file name %q leaves the tree", src, f.Name)
		}
		out := filepath.Join(tmp, filepath.FromSlash(f.Name))
		if f.Perm.IsDir() {
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			continue
		}
		data, err := readStored(filepath.Join(src, filepath.FromSlash(f.Name)), f.Compressed)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, data, f.Perm.Perm()|0o600); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, stampName), []byte(list.ContentHash), 0o644); err != nil {
		return err
	}
	os.RemoveAll(dst)
	return os.Rename(tmp, dst)
}

func readStored(path string, compressed bool) ([]byte, error) {
	if !compressed {
		return os.ReadFile(path)
	}
	raw, err := os.ReadFile(path + ".gz")
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %v", path, err)
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

// Python is one unpacked Windows interpreter.
type Python struct {
	Version string // "3.11.11"
	Dir     string // holds python.exe, python3X.dll, Lib, DLLs and pip/
	Prefix  string // the Wine prefix to run it in
}

// MajorMinor is the version's "3.11".
func (p Python) MajorMinor() string {
	parts := strings.SplitN(p.Version, ".", 3)
	return parts[0] + "." + parts[1]
}

// Exe is python.exe's Linux path.
func (p Python) Exe() string { return filepath.Join(p.Dir, "python.exe") }

// Command runs python.exe under Wine with args. Its standard streams are
// pipes: CPython under Wine stops in init_sys_streams ("WinError 6") when
// one is /dev/null or a regular file, so stdin is an empty reader (a pipe)
// unless the caller sets another, and output must go to buffers or pipes.
// Paths in args may be Linux paths: Wine maps / to drive Z:.
func (p Python) Command(args ...string) *exec.Cmd {
	cmd := exec.Command(WineBinary(), append([]string{p.Exe()}, args...)...)
	cmd.Env = append(os.Environ(),
		"WINEPREFIX="+p.Prefix,
		"WINEDEBUG=-all",
		"WINEDLLOVERRIDES=mscoree,mshtml=",
		// pip lives beside the interpreter, unpacked from the module's
		// pip package; PYTHONPATH takes a Windows list (';').
		"PYTHONPATH="+WinPath(filepath.Join(p.Dir, "pip")),
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUTF8=1",
	)
	cmd.Stdin = strings.NewReader("")
	return cmd
}

// WinPath is the Windows name Wine gives a Linux path (drive Z: is /).
func WinPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return "Z:" + strings.ReplaceAll(abs, "/", `\`)
}

// WineBinary is the 64-bit Wine loader: wine64 where it is on PATH or in
// Debian's /usr/lib/wine, else wine.
func WineBinary() string {
	if p, err := exec.LookPath("wine64"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/lib/wine/wine64"); err == nil {
		return "/usr/lib/wine/wine64"
	}
	return "wine"
}

// CacheLayout names the directories under a cache root (the repository's
// .cache, an absolute path: Wine takes no relative prefix): the
// interpreters, the Wine prefix and the status file that says why they are
// missing.
type CacheLayout struct{ Root string }

// PythonsDir is where the interpreters are unpacked.
func (c CacheLayout) PythonsDir() string { return filepath.Join(c.Root, "winpython") }

// Prefix is the Wine prefix.
func (c CacheLayout) Prefix() string { return filepath.Join(c.Root, "wine", "prefix") }

// StatusFile says what the last set-up did, quoted by tests that skip.
func (c CacheLayout) StatusFile() string { return filepath.Join(c.Root, "winpython.status") }

// Find lists the interpreters unpacked under the cache whose tree is
// complete, oldest first, and the reason there are none.
func (c CacheLayout) Find() ([]Python, string) {
	if _, err := exec.LookPath(WineBinary()); err != nil {
		return nil, "wine is not installed (Debian packages wine and wine64; make deps)"
	}
	if _, err := os.Stat(filepath.Join(c.Prefix(), "system.reg")); err != nil {
		return nil, "no Wine prefix in " + c.Prefix() + " (make pythons); " + c.status()
	}
	var found []Python
	for ver := range Versions {
		dir := filepath.Join(c.PythonsDir(), ver)
		if _, err := os.Stat(filepath.Join(dir, stampName)); err != nil {
			continue
		}
		found = append(found, Python{Version: ver, Dir: dir, Prefix: c.Prefix()})
	}
	sort.Slice(found, func(i, j int) bool { return versionLess(found[i].Version, found[j].Version) })
	if len(found) == 0 {
		return nil, "no Windows CPython unpacked in " + c.PythonsDir() + " (make pythons); " + c.status()
	}
	return found, ""
}

func (c CacheLayout) status() string {
	b, err := os.ReadFile(c.StatusFile())
	if err != nil {
		return "no " + c.StatusFile()
	}
	return strings.TrimSpace(string(b))
}

func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		var x, y int
		fmt.Sscan(pa[i], &x)
		fmt.Sscan(pb[i], &y)
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// PipArgs are python.exe's arguments to run pip with args. Under Wine 8,
// 3.14's platform module asks WMI (_wmi) for the machine, and Wine's
// propsys lacks VariantToString, which ends the process; with _wmi
// unimportable, platform falls back to what the environment says.
func PipArgs(args ...string) []string {
	return append([]string{"-c", "import runpy, sys; sys.modules['_wmi'] = None; sys.argv[0] = 'pip'; " +
		"runpy.run_module('pip', run_name='__main__', alter_sys=True)"}, args...)
}

// Headers are where the Windows headers of one CPython version come from
// on this machine: pyinc's arguments for them, and the directory and
// Windows configuration header a C compiler needs.
type Headers struct {
	Args         []string // for pyinc gen/build: --include-dir, or --python with --pyconfig (and --root)
	IncludeDir   string
	ConfigHeader string // PC/pyconfig.h or PC/pyconfig.h.in
}

// Installed is a Python whose headers are on this machine (pyinc list).
type Installed struct{ Version, IncludeDir, Root string }

// FindHeaders finds the Windows headers of CPython majorMinor ("3.11").
// No Windows CPython here ships its include/, so they are a CPython source
// tree's Include/ of that version under srcDir (.cache/src, from make
// pythons), whose PC/ holds the configuration header; else an installed
// Python's headers of that version with the Windows configuration header
// of the nearest version whose source is at hand (PC/pyconfig.h changes
// between versions in nothing the layouts read; the runtime tests under
// Windows CPython are what vouch for that). The error says what is missing.
func FindHeaders(srcDir, majorMinor string, installed []Installed) (Headers, error) {
	trees, _ := filepath.Glob(filepath.Join(srcDir, "Python-3.*"))
	best, bestDist := "", 1<<30
	for _, tree := range trees {
		parts := strings.SplitN(strings.TrimPrefix(filepath.Base(tree), "Python-"), ".", 3)
		if len(parts) < 2 {
			continue
		}
		mm := parts[0] + "." + parts[1]
		header := configHeaderOf(tree)
		if header == "" {
			continue
		}
		if mm == majorMinor {
			inc := filepath.Join(tree, "Include")
			return Headers{Args: []string{"--include-dir", inc}, IncludeDir: inc, ConfigHeader: header}, nil
		}
		if d := minorDistance(mm, majorMinor); d < bestDist {
			best, bestDist = header, d
		}
	}
	if best == "" {
		return Headers{}, fmt.Errorf("no CPython source tree in %s for a Windows configuration header (make pythons)", srcDir)
	}
	for _, py := range installed {
		if py.Version != majorMinor && !strings.HasPrefix(py.Version, majorMinor+".") {
			continue
		}
		args := []string{"--python", majorMinor, "--pyconfig", best}
		if py.Root != "" {
			args = append(args, "--root", py.Root)
		}
		return Headers{Args: args, IncludeDir: py.IncludeDir, ConfigHeader: best}, nil
	}
	return Headers{}, fmt.Errorf("no CPython %s headers here (neither a source tree in %s nor an installed Python)", majorMinor, srcDir)
}

func configHeaderOf(tree string) string {
	for _, name := range []string{"pyconfig.h", "pyconfig.h.in"} {
		p := filepath.Join(tree, "PC", name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

func minorDistance(a, b string) int {
	var am, bm int
	fmt.Sscanf(a, "3.%d", &am)
	fmt.Sscanf(b, "3.%d", &bm)
	if am > bm {
		return am - bm
	}
	return bm - am
}
