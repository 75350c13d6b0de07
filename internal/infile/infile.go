// Package infile reads the files pyinc takes as input (a project's readme
// and sources, headers, includes) only when they are regular files of a
// bounded size: a FIFO would hang pyinc and a link to /dev/zero exhaust
// its memory.
package infile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Limits for the kinds of input pyinc reads. CPython's largest header is
// a few hundred kilobytes and a readme a few dozen: these leave room for
// any real file and none for a mistake.
const (
	HeaderLimit  = 16 << 20 // a C header
	ProjectLimit = 64 << 20 // a file a project names (readme, sources, sdist files)
)

// Error is an input pyinc refuses: not a regular file, or too large.
type Error struct {
	Path   string
	Reason string
}

func (e *Error) Error() string { return e.Path + " " + e.Reason }

// Read returns the content of the regular file at path, at most limit
// bytes. A FIFO, device, socket or directory is refused without being
// read (the open does not wait for a FIFO's writer), and so is a larger
// file, naming it and its limit.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := Check(path, st, limit); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(path, limit)
	}
	return b, nil
}

// Check refuses what st describes unless it is a regular file of at most
// limit bytes.
func Check(path string, st fs.FileInfo, limit int64) error {
	if st.IsDir() {
		return &Error{path, "is a directory, not a file"}
	}
	if !st.Mode().IsRegular() {
		return &Error{path, fmt.Sprintf("is not a regular file but %s: pyinc reads only regular files", kind(st.Mode()))}
	}
	if st.Size() > limit {
		return tooLarge(path, limit)
	}
	return nil
}

func tooLarge(path string, limit int64) error {
	return &Error{path, fmt.Sprintf("is larger than %d MiB, more than pyinc reads from such a file", limit>>20)}
}

// IsRefused reports whether err is an *Error.
func IsRefused(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// kind names a file type that is not a regular file.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
