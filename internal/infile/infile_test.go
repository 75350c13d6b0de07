package infile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRead: a regular file within the limit is read; a FIFO (without
// waiting for a writer), a directory, a device and a larger file are
// refused, naming the file.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("12345"), 0o644)
	if b, err := Read(file, 5); err != nil || string(b) != "12345" {
		t.Errorf("Read = %q, %v", b, err)
	}
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o644)
	cases := map[string]string{file: "is larger than", fifo: "is not a regular file but a named pipe", dir: "is a directory", "/dev/zero": "is not a regular file but a character device"}
	for path, want := range cases {
		limit := int64(1 << 20)
		if path == file {
			limit = 4
		}
		start := time.Now()
		_, err := Read(path, limit)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), path+" ") || !IsRefused(err) {
			t.Errorf("Read(%s) = %v, want %q", path, err, want)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("Read(%s) waited", path)
		}
	}
}
