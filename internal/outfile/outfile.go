// Package outfile writes pyinc's outputs so that none is ever left half
// written: a file goes to a temporary name beside its destination and is
// renamed into place, and whatever is in flight (temporary files, build
// directories, the programs pyinc runs) is tracked so that an interrupt can
// stop and remove it.
package outfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

var (
	mu      sync.Mutex
	tracked = map[string]bool{}
	running = map[*os.Process]bool{}
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

// Abandon kills the programs started with Run, removes every tracked path
// and then holds the lock for good, so that no rename can follow: the
// process is about to exit (an interrupt).
func Abandon() {
	mu.Lock()
	removeTracked()
}

// Cleanup is Abandon for a run that failed from a bug (a panic) rather
// than a signal: it stops the programs and removes what is tracked, and
// releases the lock again.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	removeTracked()
}

// removeTracked kills the programs started with Run and removes every
// tracked path; the caller holds mu.
func removeTracked() {
	killRunning()
	for p := range tracked {
		os.RemoveAll(p)
		delete(tracked, p)
	}
}

// killRunning stops every program Run started, with the programs they
// started: each runs in a process group of its own (cc's collect2 and ld,
// pip's children). They get SIGTERM first, on which cc and collect2
// remove their own temporary files, and SIGKILL after a grace period.
// The caller holds mu.
func killRunning() {
	for p := range running {
		syscall.Kill(-p.Pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(killGrace)
	for p := range running {
		// Run's Wait reaps the group's leader; the group is gone when
		// the signal can reach no one.
		for syscall.Kill(-p.Pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// killGrace is how long an interrupted program has to clean up.
const killGrace = 2 * time.Second

// Run runs cmd as cmd.Run does, and kills it if pyinc is interrupted
// meanwhile: a SIGTERM reaches pyinc alone, and the nasm, cc or pip it
// started must not go on writing after pyinc has cleaned up.
func Run(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true // its own group, which Abandon kills whole
	mu.Lock()
	err := cmd.Start()
	if err == nil {
		running[cmd.Process] = true
	}
	mu.Unlock()
	if err != nil {
		return err
	}
	err = cmd.Wait()
	mu.Lock()
	delete(running, cmd.Process)
	mu.Unlock()
	return err
}

// TempDir makes a tracked temporary directory; done removes it.
func TempDir(pattern string) (dir string, done func(), err error) {
	dir, err = os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, tempDirError(err)
	}
	forget := Track(dir)
	return dir, func() { os.RemoveAll(dir); forget() }, nil
}

// tempDirError names the temporary directory and how to choose another:
// a TMPDIR that is gone gives "stat /nonexistent" otherwise.
func tempDirError(err error) error {
	tmp := os.TempDir()
	where := tmp
	if os.Getenv("TMPDIR") != "" {
		where = "TMPDIR=" + tmp
	}
	if st, serr := os.Stat(tmp); serr != nil || !st.IsDir() {
		return fmt.Errorf("the temporary directory %s is not a directory: point TMPDIR at a writable directory", where)
	}
	return fmt.Errorf("cannot make a directory in the temporary directory %s: %v: point TMPDIR at a writable directory", where, Reason(err))
}

// Write writes data to path through a temporary file in the same directory
// and a rename, so that path holds either its old content or all of data.
// "-" writes to stdout. Errors name path and the reason, without wrapping.
func Write(path string, data []byte, perm os.FileMode) error {
	if path == "-" {
		_, err := os.Stdout.Write(data)
		return err
	}
	return WriteAll([]File{{Path: path, Data: data, Perm: perm}})
}

// File is one file for WriteAll.
type File struct {
	Path string
	Data []byte
	Perm os.FileMode
}

// WriteAll writes every file to a temporary name beside it first, and only
// then renames them all into place, under the lock an interrupt takes: the
// destinations change all together or not at all (a rename within one
// directory does not fail halfway). A destination that is a FIFO or a
// character device (-o /dev/null, -o /dev/stdout) is written through,
// after the renames: a rename would replace the device with a regular
// file. A symbolic link to a regular file keeps its link: its target is
// replaced. Anything else that is not a regular file is refused.
func WriteAll(files []File) error {
	var renamed, through []File
	for _, f := range files {
		dest, direct, err := destination(f.Path)
		if err != nil {
			return fmt.Errorf("cannot write %s: %v", f.Path, err)
		}
		f.Path = dest
		if direct {
			through = append(through, f)
		} else {
			renamed = append(renamed, f)
		}
	}
	if err := renameAll(renamed); err != nil {
		return err
	}
	for _, f := range through {
		if err := writeThrough(f); err != nil {
			return fmt.Errorf("cannot write %s: %v", f.Path, Reason(err))
		}
	}
	return nil
}

// destination is where f's data goes: the path itself, or a symbolic
// link's target; direct says it is written through rather than replaced.
func destination(path string) (dest string, direct bool, err error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, false, nil
	}
	if err != nil {
		return "", false, Reason(err)
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return "", false, errors.New("it is a symbolic link to nothing: remove it or pick another name")
		}
		if st, err = os.Stat(real); err != nil {
			return "", false, Reason(err)
		}
		path = real
	}
	switch m := st.Mode(); {
	case m.IsRegular():
		return path, false, nil
	case m.IsDir():
		return "", false, errors.New("it is a directory")
	case m&fs.ModeNamedPipe != 0, m&fs.ModeCharDevice != 0:
		return path, true, nil
	default:
		what := "a special file"
		switch {
		case m&fs.ModeSocket != 0:
			what = "a socket"
		case m&fs.ModeDevice != 0:
			what = "a block device"
		}
		return "", false, fmt.Errorf("it is not a regular file but %s, which pyinc does not replace: pick another name", what)
	}
}

// writeThrough writes f's data into the FIFO or device at f.Path.
func writeThrough(f File) error {
	w, err := os.OpenFile(f.Path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = w.Write(f.Data)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// renameAll writes files to temporary names, then renames them all into
// place under the lock.
func renameAll(files []File) error {
	tmps := make([]string, len(files))
	defer func() {
		mu.Lock()
		for _, t := range tmps {
			if t != "" {
				os.Remove(t) // gone already when renamed
				delete(tracked, t)
			}
		}
		mu.Unlock()
	}()
	for i, f := range files {
		t, err := writeTemp(f)
		tmps[i] = t // removed by the deferred clean-up, even when err is set
		if err != nil {
			return fmt.Errorf("cannot write %s: %v", f.Path, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, f := range files {
		if err := os.Rename(tmps[i], f.Path); err != nil {
			return fmt.Errorf("cannot write %s: %v", f.Path, Reason(err))
		}
	}
	return nil
}

// writeTemp writes f's data to a tracked temporary file beside f.Path.
func writeTemp(f File) (string, error) {
	dir := filepath.Dir(f.Path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", fmt.Errorf("directory %s does not exist", dir)
	}
	if st, err := os.Stat(f.Path); err == nil && st.IsDir() {
		return "", errors.New("it is a directory")
	}
	// Created and tracked under the lock: an interrupt finds it either
	// way, never between the two.
	mu.Lock()
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.Path)+".tmp*")
	if err == nil {
		tracked[tmp.Name()] = true
	}
	mu.Unlock()
	if err != nil {
		return "", Reason(err)
	}
	_, err = tmp.Write(f.Data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), f.Perm)
	}
	if err != nil {
		return tmp.Name(), Reason(err)
	}
	return tmp.Name(), nil
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
