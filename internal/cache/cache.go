// Package cache is pyinc's content-checked store: each entry is written
// with the SHA-256 of its content and read back only when the content
// still has that hash. An entry altered on disk (bit rot, a bad copy, a
// write cut short) is a miss, and the caller makes it again; an entry is
// replaced whole (write to a temporary file, then rename), so runs that
// write the same entry at once leave one complete entry.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// magic starts every entry; a change of the entry format changes it.
const magic = "pyinc-cache 1"

// Dir is a cache directory; "" is no cache: Get misses and Put does nothing.
type Dir string

// path is where the entry for key lives. Keys are made by the callers
// from hashes: they are file names.
func (d Dir) path(key string) string { return filepath.Join(string(d), key) }

// Get returns the content stored under key when it is there and intact.
func (d Dir) Get(key string) ([]byte, bool) {
	if d == "" {
		return nil, false
	}
	b, err := os.ReadFile(d.path(key))
	if err != nil {
		return nil, false
	}
	return verify(b)
}

// verify splits an entry into its header line ("magic size sha256") and
// content, and returns the content when its size and hash match.
func verify(b []byte) ([]byte, bool) {
	head, content, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return nil, false
	}
	f := bytes.Fields(head)
	if len(f) != 4 || string(f[0])+" "+string(f[1]) != magic {
		return nil, false
	}
	size, err := strconv.Atoi(string(f[2]))
	if err != nil || size != len(content) {
		return nil, false
	}
	sum := sha256.Sum256(content)
	if string(f[3]) != hex.EncodeToString(sum[:]) {
		return nil, false
	}
	return content, true
}

// Put stores content under key. A cache that cannot be written is no
// error: the next run makes the entry again.
func (d Dir) Put(key string, content []byte) {
	if d == "" || os.MkdirAll(string(d), 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(string(d), ".entry*")
	if err != nil {
		return
	}
	sum := sha256.Sum256(content)
	_, err = fmt.Fprintf(tmp, "%s %d %s\n", magic, len(content), hex.EncodeToString(sum[:]))
	if err == nil {
		_, err = tmp.Write(content)
	}
	if cerr := tmp.Close(); err == nil && cerr == nil {
		os.Rename(tmp.Name(), d.path(key))
	}
	os.Remove(tmp.Name())
}

// Key hashes the parts that identify an entry into a file name.
func Key(kind string, parts ...any) string {
	h := sha256.New()
	fmt.Fprintln(h, magic, kind)
	for _, p := range parts {
		fmt.Fprintf(h, "%q\n", fmt.Sprint(p))
	}
	return kind + "-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// StatID is a file's identity as stat sees it through any links: device,
// inode, size, modification and change times; "" when it cannot be read.
func StatID(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return statID(st)
}

// FileID is what identifies a file without reading it: its path with
// symbolic links resolved, device, inode, size, modification and change
// times. A reinstalled or rebuilt compiler or interpreter changes it.
func FileID(path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return path + " missing"
	}
	st, err := os.Stat(real)
	if err != nil {
		return real + " missing"
	}
	return real + " " + statID(st)
}
