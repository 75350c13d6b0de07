// Command winpython sets up the Windows CPython interpreters the
// windows-x86_64 tests run under Wine: it fetches each version of
// github.com/kluctl/go-embed-python with `go mod download` (outside
// pyinc's module, so pyinc itself never depends on it), unpacks its
// Windows interpreter and pip into <cache>/winpython/<version>/, makes a
// Wine prefix in <cache>/wine/prefix, and runs each interpreter once.
// Everything is reused when present. What happened goes to
// <cache>/winpython.status, which skipping tests quote; it exits 0 even
// when something could not be had, so make pythons never fails on it.
//
//	go run ./internal/winpy/cmd/winpython -cache .cache
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pyinc/pyinc/internal/winpy"
)

func main() {
	cache := flag.String("cache", ".cache", "the cache directory")
	flag.Parse()
	root, err := filepath.Abs(*cache)
	if err != nil {
		fmt.Fprintln(os.Stderr, "winpython:", err)
		os.Exit(2)
	}
	layout := winpy.CacheLayout{Root: root}
	msg, err := setUp(layout)
	if err != nil {
		msg = "failed: " + err.Error()
	}
	fmt.Fprintln(os.Stderr, "winpython: "+msg)
	os.WriteFile(layout.StatusFile(), []byte(msg+"\n"), 0o644)
}

func setUp(layout winpy.CacheLayout) (string, error) {
	wine := winpy.WineBinary()
	if _, err := exec.LookPath(wine); err != nil {
		return "", fmt.Errorf("wine is not installed (Debian packages wine and wine64)")
	}
	if err := makePrefix(layout.Prefix()); err != nil {
		return "", err
	}
	var vers []string
	for v := range winpy.Versions {
		vers = append(vers, v)
	}
	sort.Strings(vers)
	var ok []string
	for _, v := range vers {
		py := winpy.Python{Version: v, Dir: filepath.Join(layout.PythonsDir(), v), Prefix: layout.Prefix()}
		if err := unpackVersion(py); err != nil {
			return "", fmt.Errorf("CPython %s for Windows: %v", v, err)
		}
		if err := smoke(py); err != nil {
			return "", fmt.Errorf("CPython %s for Windows does not run under Wine: %v", v, err)
		}
		ok = append(ok, v)
	}
	return "ok: Windows CPython " + strings.Join(ok, ", ") + " in " + layout.PythonsDir(), nil
}

// unpackVersion unpacks the interpreter and then its pip (inside it, so
// that unpacking the interpreter again takes pip along).
func unpackVersion(py winpy.Python) error {
	dir, err := moduleDir(winpy.Versions[py.Version])
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(py.Dir), 0o755); err != nil {
		return err
	}
	if err := winpy.Unpack(filepath.Join(dir, "python", "internal", "data", "windows-amd64"), py.Dir); err != nil {
		return err
	}
	return winpy.Unpack(filepath.Join(dir, "pip", "internal", "data"), filepath.Join(py.Dir, "pip"))
}

// moduleDir downloads the module version into Go's module cache (or finds
// it there) and returns its directory. It runs in a temporary directory
// with GOFLAGS and GOWORK cleared, so no go.mod is read or touched.
func moduleDir(version string) (string, error) {
	tmp, err := os.MkdirTemp("", "winpython")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "mod", "download", "-json", winpy.Module+"@"+version)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GO111MODULE=on")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &info); err != nil || info.Dir == "" {
		why := strings.TrimSpace(info.Error + " " + errb.String())
		if why == "" && runErr != nil {
			why = runErr.Error()
		}
		return "", fmt.Errorf("go mod download %s@%s: %s", winpy.Module, version, why)
	}
	return info.Dir, nil
}

// makePrefix creates the Wine prefix once (wineboot takes tens of seconds
// and writes about 700 MB).
func makePrefix(prefix string) error {
	if _, err := os.Stat(filepath.Join(prefix, "system.reg")); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return err
	}
	cmd := exec.Command(winpy.WineBinary(), "wineboot", "-i")
	cmd.Env = append(os.Environ(), "WINEPREFIX="+prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=")
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("wineboot -i in %s: %v: %s", prefix, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// smoke runs the interpreter once and checks it says its own version and
// that pip imports.
func smoke(py winpy.Python) error {
	cmd := py.Command("-c", "import sys, pip; print(sys.platform, '%d.%d.%d' % sys.version_info[:3])")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	if got, want := strings.TrimSpace(out.String()), "win32 "+py.Version; got != want {
		return fmt.Errorf("it says %q, want %q", got, want)
	}
	return nil
}
