// Package snapshots holds the committed includes pyinc generates for each
// Python version and configuration, the manifest that says how each is
// made, the index of the folder, and reading an include back.
package snapshots

import (
	"bufio"
	_ "embed"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pyinc/pyinc/cparse"
)

//go:embed manifest.txt
var manifest string

// Entry is one snapshot: a file, the Python it is made from, and the
// configuration flags.
type Entry struct {
	File    string
	Version string // exact: "3.12.1"
	Debug   bool   // made from a debug build of the interpreter
	Config  cparse.Config
	// Target is the --target of the entry, "" for the default. A snapshot
	// for another target is made from CPython's source tree of Version
	// (FindSource), with that tree's configuration header.
	Target string
}

// Manifest lists the snapshots.
func Manifest() ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(strings.NewReader(manifest))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || (f[2] != "release" && f[2] != "debug") {
			return nil, fmt.Errorf("manifest.txt:%d: want FILE VERSION release|debug [FLAGS]", n)
		}
		e := Entry{File: f[0], Version: f[1], Debug: f[2] == "debug"}
		for i := 3; i < len(f); i++ {
			if i+1 >= len(f) {
				return nil, fmt.Errorf("manifest.txt:%d: %s needs a value", n, f[i])
			}
			switch f[i] {
			case "-D", "--define":
				e.Config.Defines = append(e.Config.Defines, f[i+1])
			case "--limited-api":
				e.Config.LimitedAPI = f[i+1]
			case "--target":
				e.Target = f[i+1]
			default:
				return nil, fmt.Errorf("manifest.txt:%d: unknown flag %s", n, f[i])
			}
			i++
		}
		out = append(out, e)
	}
	return out, nil
}

// Flags spells the entry's configuration as pyinc gen flags.
func (e Entry) Flags() string {
	var f []string
	for _, d := range e.Config.Defines {
		f = append(f, "-D "+d)
	}
	if e.Config.LimitedAPI != "" {
		f = append(f, "--limited-api "+e.Config.LimitedAPI)
	}
	if e.Target != "" {
		f = append(f, "--target "+e.Target)
	}
	return strings.Join(f, " ")
}

// FindSource picks, for an entry of another target, the CPython source
// tree of its version among the directories srcDirs (each holding
// Python-X.Y.Z trees), seen with its configuration header; nil if none.
func (e Entry) FindSource(srcDirs []string) *cparse.Python {
	for _, d := range srcDirs {
		if py, err := cparse.FromSourceTree(filepath.Join(d, "Python-"+e.Version)); err == nil {
			return py
		}
	}
	return nil
}

// Find picks the Python an entry is made from among those installed, or
// nil.
func (e Entry) Find(all []*cparse.Python) *cparse.Python {
	for _, p := range all {
		if p.Version == e.Version && p.IsDebug() == e.Debug {
			return p
		}
	}
	return nil
}
