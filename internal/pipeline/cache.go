package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/cache"
	"github.com/pyinc/pyinc/target"
)

// Parsing the headers is most of the time a run takes, so a generated
// include is kept in a cache, keyed by what it is made from (pyinc's
// version, the Python's directories and libpython, the configuration, the
// C compiler) and checked against the contents of every file the parse
// read: a second run on unchanged headers does not parse them again.

// Summary is what the command reports of a run, cached or not.
type Summary struct {
	PyVersion                   string
	Structs, Constants, Externs int
}

// entry is one cached include.
type entry struct {
	Files map[string]string // path -> SHA-256 of its contents
	// Stats holds each file's identity (device, inode, size, times) when
	// the entry was made: a file whose identity is the same is not read
	// again; any other is checked by its contents.
	Stats map[string]string
	// IncludeSHA is the SHA-256 of the include, which is kept as text in
	// an entry of its own (key + ".inc"): reading it back needs no
	// decoding, and it can be read by eye.
	IncludeSHA string
	Warnings   []string
	Summary    Summary
}

// CacheDir is where the cache lives: $PYINC_CACHE_DIR, else the user's
// cache directory; "off" turns the cache off.
func CacheDir() string {
	if d := os.Getenv("PYINC_CACHE_DIR"); d != "" {
		if d == "off" {
			return ""
		}
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "pyinc")
	}
	return ""
}

// Cached is Run through the cache in dir ("" for none). A result from the
// cache (Result.Cached) has no Unit and no Model. An entry is served only
// when it is intact (internal/cache checks its hash), its include is the
// one it was made with, and every file it was made from is unchanged.
func Cached(dir string, py *cparse.Python, defines []cparse.Define) (*Result, error) {
	return CachedFor(dir, py, defines, target.Default())
}

// CachedFor is Cached for the target tg.
func CachedFor(dir string, py *cparse.Python, defines []cparse.Define, tg target.Target) (*Result, error) {
	if dir == "" {
		return RunFor(py, defines, tg)
	}
	store := cache.Dir(dir)
	key := cacheKey(py, defines, tg)
	if r, ok := fromCache(store, key); ok {
		return r, nil
	}
	r, err := RunFor(py, defines, tg)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(r.Include)
	e := entry{Files: map[string]string{}, Stats: map[string]string{}, IncludeSHA: hex.EncodeToString(sum[:]), Warnings: r.Warnings, Summary: r.Summary}
	for _, f := range inputs(py, r.Unit) {
		// The identity first: a file changed while it is hashed then
		// fails the quick check and is read again next time.
		id := cache.StatID(f)
		if h, err := hashFile(f); err == nil {
			e.Files[f], e.Stats[f] = h, id
		}
	}
	if b, err := json.Marshal(e); err == nil {
		// The include first: an entry whose include is missing or another
		// run's is a miss, never a wrong include.
		store.Put(key+".inc", r.Include)
		store.Put(key, b)
	}
	return r, nil
}

// fromCache returns the result kept under key when its entry and include
// are intact and agree, and the files it was made from are unchanged.
func fromCache(store cache.Dir, key string) (*Result, bool) {
	b, ok := store.Get(key)
	if !ok {
		return nil, false
	}
	var e entry
	if json.Unmarshal(b, &e) != nil || e.Files == nil || !unchanged(e.Files, e.Stats) {
		return nil, false
	}
	inc, ok := store.Get(key + ".inc")
	if sum := sha256.Sum256(inc); !ok || hex.EncodeToString(sum[:]) != e.IncludeSHA {
		return nil, false
	}
	return &Result{Include: inc, Warnings: e.Warnings, Summary: e.Summary, Cached: true}, true
}

func cacheKey(py *cparse.Python, defines []cparse.Define, tg target.Target) string {
	h := sha256.New()
	fmt.Fprintln(h, Version, py.Version, py.IncludeDirs, py.AfterDirs, py.LibPython, defines)
	if !tg.IsDefault() {
		fmt.Fprintln(h, tg.Name, lookPath(tg.CrossCC))
	}
	// The running pyinc binary stands for pyinc's own code: a rebuilt
	// pyinc does not reuse what an earlier build wrote.
	self, _ := os.Executable()
	for _, f := range []string{self, py.LibPython, lookPath("cc"), lookPath("gcc")} {
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintln(h, f, st.Size(), st.ModTime().UnixNano())
		}
	}
	return "include-" + hex.EncodeToString(h.Sum(nil))[:32]
}

func lookPath(name string) string {
	p, _ := exec.LookPath(name)
	return p
}

// inputs lists what a parse depends on: every file below the Python's
// include directories, and every other file it read.
func inputs(py *cparse.Python, u *cparse.Unit) []string {
	seen := map[string]bool{}
	for _, d := range py.IncludeDirs {
		filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err == nil && de.Type().IsRegular() {
				seen[p] = true
			}
			return nil
		})
	}
	for _, f := range u.Files() {
		seen[f] = true
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// unchanged says whether every file is as it was: the same identity, or
// else the same contents.
func unchanged(files, stats map[string]string) bool {
	for f, want := range files {
		if id, ok := stats[f]; ok && id != "" && id == cache.StatID(f) {
			continue
		}
		if h, err := hashFile(f); err != nil || h != want {
			return false
		}
	}
	return true
}

func hashFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}
