package cparse

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/pyinc/pyinc/internal/infile"
)

// Headers are untrusted input: a header that is a FIFO would hang the
// front end, a 95 MB header of #defines exhaust memory, a header that
// includes itself without a guard grow without end (cc/v4 does not bound
// the include depth). The front end reads every file through guardFS,
// which refuses what is not a regular file of at most infile.HeaderLimit
// bytes, and the include depth is bounded as gcc bounds it.

// maxIncludeDepth is gcc's limit: #include nested deeper is an error.
const maxIncludeDepth = 200

// guardFS serves the front end's files: the overlay's from memory, any
// other from the disk when it is a regular file within the limit. The
// first file refused is kept, to be reported instead of the front end's
// "include file not found".
type guardFS struct {
	overlay fs.FS // nil on the plain path
	// python reports a Python header, served with its #pragma once made
	// an include guard (onceGuarded); nil: none is.
	python  func(string) bool
	mu      sync.Mutex
	refused error
}

func (g *guardFS) Open(name string) (fs.File, error) {
	if g.overlay != nil {
		f, err := g.overlay.Open(name)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
	}
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	}
	if err == nil {
		err = infile.Check(name, st, infile.HeaderLimit)
	}
	if err != nil {
		f.Close()
		g.mu.Lock()
		if g.refused == nil {
			g.refused = err
		}
		g.mu.Unlock()
		return nil, err
	}
	if g.python == nil || !g.python(name) {
		return f, nil
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, infile.HeaderLimit))
	if err != nil {
		return nil, err
	}
	return &memFile{name: name, r: bytes.NewReader(onceGuarded(name, text))}, nil
}

// onceGuarded is a Python header's text with its #pragma once made an
// include guard around the whole file. cc/v4 does not keep a #pragma once
// while its file is still open, so headers that include each other, which
// gcc stops at the pragma, would be followed without end. #line gives the
// lines their numbers back. A name that cannot be written in #line keeps
// its text.
func onceGuarded(name string, text []byte) []byte {
	if strings.ContainsAny(name, "\"\\\n") || !hasPragmaOnce(text) {
		return text
	}
	sum := sha256.Sum256([]byte(name))
	guard := fmt.Sprintf("__PYINC_ONCE_%x", sum[:8])
	var b bytes.Buffer
	b.Grow(len(text) + 128)
	fmt.Fprintf(&b, "#ifndef %s\n#define %s\n#line 1 \"%s\"\n", guard, guard, name)
	b.Write(text)
	if !bytes.HasSuffix(text, []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString("#endif\n")
	return b.Bytes()
}

func (g *guardFS) refusal() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused
}

// includeDepthError turns the host compiler's complaint about #include
// nesting (gcc: "#include nested depth 200 exceeds maximum of 200",
// clang: "#include nested too deeply") into one line naming the chain,
// outermost first, with repeats counted; ok is false for any other
// error.
func includeDepthError(stderr string, dirs []string) (error, bool) {
	if !strings.Contains(stderr, "#include nested") {
		return nil, false
	}
	var chain []string // innermost first, as the compiler lists them
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		l = strings.TrimPrefix(l, "In file included from ")
		l = strings.TrimPrefix(l, "from ")
		if l == sc.Text() || !strings.HasSuffix(l, ",") && !strings.HasSuffix(l, ":") {
			continue
		}
		file, _, _ := strings.Cut(strings.TrimRight(l, ",:"), ":")
		if file != "<stdin>" {
			chain = append(chain, trimHostPath(strings.TrimPrefix(file, "./"), dirs))
		}
		if strings.HasSuffix(l, ":") {
			break
		}
	}
	var parts []string
	for i := len(chain) - 1; i >= 0; {
		j := i
		for j > 0 && chain[j-1] == chain[i] {
			j--
		}
		p := chain[i]
		if n := i - j + 1; n > 1 {
			p = fmt.Sprintf("%s (%d times)", p, n)
		}
		parts = append(parts, p)
		i = j - 1
	}
	if len(parts) > 6 {
		parts = append(append(parts[:3:3], "..."), parts[len(parts)-2:]...)
	}
	return fmt.Errorf("#include nested more than %d deep: %s: a header includes itself without an include guard (#ifndef ... #define ...)", maxIncludeDepth, strings.Join(parts, " -> ")), true
}

// checkHeaderFiles refuses a Python include directory holding a header
// that is not a regular file, or one over the limit: the host compiler,
// run before the front end, would wait forever on a FIFO, and its output
// for a huge header is as huge. Two levels are looked at (cpython/,
// internal/), where CPython keeps its headers.
func checkHeaderFiles(dirs []string) error {
	for _, d := range dirs {
		if err := checkHeaderDir(d, 2); err != nil {
			return err
		}
	}
	return nil
}

func checkHeaderDir(dir string, depth int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil // the front end says what it cannot read
	}
	for _, e := range entries {
		path := dir + string(os.PathSeparator) + e.Name()
		if e.IsDir() {
			if depth > 1 {
				if err := checkHeaderDir(path, depth-1); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasSuffix(e.Name(), ".h") {
			continue
		}
		st, err := os.Stat(path) // through a link; a FIFO is not opened
		if err == nil && !st.IsDir() {
			if err := infile.Check(path, st, infile.HeaderLimit); err != nil {
				return err
			}
		}
	}
	return nil
}
