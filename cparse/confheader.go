package cparse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// A target's configuration header need not be the one beside a Python's
// headers: Windows CPython is built with PC/pyconfig.h (3.13 and later:
// PC/pyconfig.h.in), which exists only in CPython's source, while the rest
// of Include/ is shared. Python.h includes it as "pyconfig.h", which a
// compiler looks for first in Python.h's own directory, so a header beside
// Python.h cannot be overridden by search order. WithConfigHeader builds a
// view instead: a directory whose entries link to the Python's headers,
// except pyconfig.h, which is the given file. Every compiler then reads
// the same files through the same paths.

// WithConfigHeader returns a copy of py whose headers are seen with the
// configuration header at file instead of their own pyconfig.h.
func WithConfigHeader(py *Python, file string) (*Python, error) {
	if len(py.IncludeDirs) == 0 {
		return nil, fmt.Errorf("no include directory for Python %s", py.Version)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the configuration header: %v", err)
	}
	src, err := filepath.Abs(py.IncludeDirs[0])
	if err != nil {
		return nil, err
	}
	view, err := makeView(src, text)
	if err != nil {
		return nil, fmt.Errorf("cannot make the headers' view with %s: %v", file, err)
	}
	c := *py
	// Only the view: the other directories hold the Python's own
	// configuration header (Debian's multiarch pyconfig.h), which the
	// target's must replace.
	c.IncludeDirs = []string{view}
	c.AfterDirs = slices.Clone(py.AfterDirs)
	c.ConfigHeader = file
	return &c, nil
}

// makeView makes (or finds, made before) the view of the headers in src
// with text as pyconfig.h, under the system's temporary directory, named
// by what it is made of, so that the same inputs give the same paths run
// after run (the include cache and messages rely on stable paths).
func makeView(src string, text []byte) (string, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", src, text)
	for _, e := range entries {
		fmt.Fprintf(h, "%s\x00", e.Name())
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("pyinc-%d-view-%s", os.Getuid(), hex.EncodeToString(h.Sum(nil))[:24]))
	if ownView(dir, text) {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(os.TempDir(), "pyinc-view-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // left only when the rename below failed
	for _, e := range entries {
		if e.Name() == "pyconfig.h" {
			continue
		}
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(tmp, e.Name())); err != nil {
			return "", err
		}
	}
	// pyconfig.h last: its presence says the view is complete.
	if err := os.WriteFile(filepath.Join(tmp, "pyconfig.h"), text, 0o444); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if ownView(dir, text) {
			return dir, nil // made meanwhile by another pyinc
		}
		// The name is taken by something that is not our view: use the
		// fresh one, under its own name.
		keep := tmp + "-kept"
		if err := os.Rename(tmp, keep); err != nil {
			return "", err
		}
		return keep, nil
	}
	return dir, nil
}

// ownView reports whether dir is a complete view this user made with text
// as its pyconfig.h: a real directory of ours that no one else can write,
// since the temporary directory is shared and the name can be foreseen.
func ownView(dir string, text []byte) bool {
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() || st.Mode().Perm()&0o022 != 0 || !ownedByMe(st) {
		return false
	}
	have, err := os.ReadFile(filepath.Join(dir, "pyconfig.h"))
	return err == nil && bytes.Equal(have, text)
}

// SourceConfigHeader finds the Windows configuration header of the
// CPython source tree whose Include/ is includeDir: ../PC/pyconfig.h,
// else ../PC/pyconfig.h.in (3.13 and later); "" when there is none.
func SourceConfigHeader(includeDir string) string {
	if filepath.Base(filepath.Clean(includeDir)) != "Include" {
		return ""
	}
	pc := filepath.Join(filepath.Dir(filepath.Clean(includeDir)), "PC")
	for _, name := range []string{"pyconfig.h", "pyconfig.h.in"} {
		if isFile(filepath.Join(pc, name)) {
			return filepath.Join(pc, name)
		}
	}
	return ""
}

// FromSourceTree describes the Python of the CPython source tree at
// root, seen with the tree's Windows configuration header: the headers a
// Windows build of that version is compiled with.
func FromSourceTree(root string) (*Python, error) {
	inc := filepath.Join(root, "Include")
	py, err := FromIncludeDir(inc)
	if err != nil {
		return nil, err
	}
	header := SourceConfigHeader(inc)
	if header == "" {
		return nil, fmt.Errorf("%s has no PC/pyconfig.h or PC/pyconfig.h.in", root)
	}
	return WithConfigHeader(py, header)
}

func ownedByMe(st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == os.Getuid()
}
