package cache

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	d := Dir(t.TempDir())
	if _, ok := d.Get("k"); ok {
		t.Fatal("an empty cache hit")
	}
	d.Put("k", []byte("content\nwith lines\n"))
	got, ok := d.Get("k")
	if !ok || string(got) != "content\nwith lines\n" {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	var none Dir
	none.Put("k", []byte("x"))
	if _, ok := none.Get("k"); ok {
		t.Error("the empty Dir stored an entry")
	}
}

// TestDamagedEntries: a changed byte, a cut-short file, a bad header and
// an empty file are all misses, never served.
func TestDamagedEntries(t *testing.T) {
	content := []byte("%define ANSWER 42\n%define OTHER 7\n")
	damage := map[string]func([]byte) []byte{
		"corrupted": func(b []byte) []byte {
			i := bytes.Index(b, []byte("42"))
			b[i] = '5'
			return b
		},
		"truncated":  func(b []byte) []byte { return b[:len(b)-5] },
		"no content": func(b []byte) []byte { return b[:bytes.IndexByte(b, '\n')+1] },
		"empty":      func([]byte) []byte { return nil },
		"bad header": func(b []byte) []byte { return append([]byte("pyinc-cache 0"), b[len(magic):]...) },
		"longer":     func(b []byte) []byte { return append(b, '\n') },
	}
	for name, f := range damage {
		t.Run(name, func(t *testing.T) {
			d := Dir(t.TempDir())
			d.Put("k", content)
			p := filepath.Join(string(d), "k")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, f(b), 0o644); err != nil {
				t.Fatal(err)
			}
			if got, ok := d.Get("k"); ok {
				t.Fatalf("a %s entry was served: %q", name, got)
			}
			d.Put("k", content) // what a caller does on a miss
			if got, ok := d.Get("k"); !ok || !bytes.Equal(got, content) {
				t.Fatalf("after rewriting: %q, %v", got, ok)
			}
		})
	}
}

// TestConcurrentWriters: processes writing the same entry at once, with
// readers alongside, leave a whole entry; a reader sees a miss or one
// writer's whole content, never a mix.
func TestConcurrentWriters(t *testing.T) {
	if os.Getenv("PYINC_CACHE_WRITER") != "" {
		return // the child side runs in TestMain
	}
	d := t.TempDir()
	const writers = 4
	var cmds []*exec.Cmd
	for i := 0; i < writers; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "PYINC_CACHE_WRITER="+strconv.Itoa(i), "PYINC_CACHE_TEST_DIR="+d)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	bad := make(chan string, 1)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if got, ok := Dir(d).Get("shared"); ok && !validWriterContent(got) {
					select {
					case bad <- string(got[:min(len(got), 40)]):
					default:
					}
				}
			}
		}()
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("writer: %v", err)
		}
	}
	wg.Wait()
	select {
	case s := <-bad:
		t.Fatalf("a reader was served a mixed entry: %q...", s)
	default:
	}
	got, ok := Dir(d).Get("shared")
	if !ok || !validWriterContent(got) {
		t.Fatalf("after the writers: %v, valid %v", ok, validWriterContent(got))
	}
	if left, _ := filepath.Glob(filepath.Join(d, ".entry*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// writerContent is large enough that a write takes several system calls.
func writerContent(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("writer %d line\n", i)), 20000)
}

func validWriterContent(b []byte) bool {
	for i := 0; i < 4; i++ {
		if bytes.Equal(b, writerContent(i)) {
			return true
		}
	}
	return false
}

func TestMain(m *testing.M) {
	if w := os.Getenv("PYINC_CACHE_WRITER"); w != "" {
		i, _ := strconv.Atoi(w)
		d := Dir(os.Getenv("PYINC_CACHE_TEST_DIR"))
		for n := 0; n < 50; n++ {
			d.Put("shared", writerContent(i))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestKeyAndFileID(t *testing.T) {
	if Key("a", 1, "x") == Key("a", 1, "y") || Key("a", "1 x") == Key("a", "1", "x") {
		t.Error("different parts give one key")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "cc")
	os.WriteFile(f, []byte("one"), 0o755)
	link := filepath.Join(dir, "link")
	os.Symlink(f, link)
	before := FileID(link)
	if before != FileID(f) {
		t.Errorf("a link and its target differ: %q, %q", before, FileID(f))
	}
	os.WriteFile(f, []byte("other"), 0o755)
	if FileID(link) == before {
		t.Error("a rewritten file kept its identity")
	}
}
