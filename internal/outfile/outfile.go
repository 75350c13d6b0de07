// Package outfile writes pyinc's outputs so that none is ever left half
// written: a file goes to a temporary name beside its destination and is
// renamed into place, and whatever is in flight (temporary files, build
// directories) is tracked so that an interrupt can remove it.
package outfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

var (
	mu      sync.Mutex
	tracked = map[string]bool{}
)

// Track registers path (a file or a directory) for removal by Abandon; the
// returned function forgets it again, once the path is in its final place
// or removed.
func Track(path string) (forget func()) {
	mu.Lock()
	tracked[path] = true
	mu.Unlock()
	return func() {
		mu.Lock()
		delete(tracked, path)
		mu.Unlock()
	}
}

// Abandon removes every tracked path and then holds the lock for good, so
// that no rename can follow: the process is about to exit (an interrupt).
func Abandon() {
	mu.Lock()
	for p := range tracked {
		os.RemoveAll(p)
	}
}

// TempDir makes a tracked temporary directory; done removes it.
func TempDir(pattern string) (dir string, done func(), err error) {
	dir, err = os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	forget := Track(dir)
	return dir, func() { os.RemoveAll(dir); forget() }, nil
}

// Write writes data to path through a temporary file in the same directory
// and a rename, so that path holds either its old content or all of data.
// "-" writes to stdout. Errors name path and the reason, without wrapping.
func Write(path string, data []byte, perm os.FileMode) error {
	if path == "-" {
		_, err := os.Stdout.Write(data)
		return err
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("cannot write %s: directory %s does not exist", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("cannot write %s: it is a directory", path)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, Reason(err))
	}
	Track(tmp.Name()) // forgotten below, under the lock, with the rename
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), perm)
	}
	// The rename and forgetting the temporary name happen under the lock
	// Abandon takes: it sees either both or neither.
	mu.Lock()
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	delete(tracked, tmp.Name())
	mu.Unlock()
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %v", path, Reason(err))
	}
	return nil
}

// Reason strips the operation and path from a file-system error, for
// messages that name the path themselves.
func Reason(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
