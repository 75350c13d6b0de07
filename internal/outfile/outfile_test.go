package outfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWriteWholeOrNothing: the destination has the old content or all of
// the new, and a write into a missing directory or onto a directory fails
// with a message naming the path.
func TestWriteWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	for _, bad := range []string{filepath.Join(dir, "missing", "x"), dir} {
		if err := Write(bad, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "cannot write "+bad) {
			t.Errorf("Write(%s): %v", bad, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if len(tracked) != 0 {
		t.Errorf("paths still tracked: %v", tracked)
	}
}

// sleeperVar makes the test binary a stand-in for sleep 30 (TestMain): the
// fast tier's PATH may hold nothing but go, gcc and binutils.
const sleeperVar = "OUTFILE_TEST_SLEEP"

func TestMain(m *testing.M) {
	if os.Getenv(sleeperVar) != "" {
		time.Sleep(30 * time.Second)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestKillRunning: an interrupt stops a program Run started, and what that
// program started in turn.
func TestKillRunning(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "\"$0\" & echo $! > "+pidFile+"; wait", self)
	cmd.Env = append(os.Environ(), sleeperVar+"=1")
	done := make(chan error)
	go func() { done <- Run(cmd) }()
	var grandchild int
	for i := 0; i < 100 && grandchild == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 1 {
			grandchild = atoi(strings.TrimSpace(string(b)))
		}
	}
	if grandchild == 0 {
		t.Fatal("the program did not start")
	}
	mu.Lock()
	killRunning()
	mu.Unlock()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("the killed program reported success")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the program was not stopped")
	}
	time.Sleep(50 * time.Millisecond)
	if alive(grandchild) {
		syscall.Kill(grandchild, syscall.SIGKILL)
		t.Errorf("the program's own child (sleep) outlived it")
	}
	if len(running) != 0 {
		t.Errorf("a stopped program is still tracked")
	}
}

// alive says whether pid runs: a zombie (killed, not yet reaped by its new
// parent) does not.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestNotRegularDestinations: a FIFO or a character device is written
// through and stays what it was; a link to a regular file keeps its link;
// a socket or a dangling link is refused and left alone.
func TestNotRegularDestinations(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := Write(fifo, []byte("through"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through" {
		t.Errorf("the FIFO's reader got %q", s)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced by %v", st.Mode())
	}
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Logf("mknod: %v: the device case is untested (needs CAP_MKNOD)", err)
	} else {
		if err := Write(null, []byte("gone"), 0o644); err != nil {
			t.Errorf("write to a null device: %v", err)
		}
		if st, _ := os.Lstat(null); st.Mode()&os.ModeCharDevice == 0 {
			t.Errorf("the device was replaced by %v", st.Mode())
		}
	}
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	if err := Write(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced")
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("the link's target holds %q", b)
	}
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nothing"), dangling)
	if err := Write(dangling, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "symbolic link to nothing") {
		t.Errorf("write to a dangling link: %v", err)
	}
	sock := filepath.Join(dir, "sock")
	fd, _ := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	if err := Write(sock, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("write to a socket: %v", err)
	}
	if st, _ := os.Lstat(sock); st.Mode()&os.ModeSocket == 0 {
		t.Errorf("the socket was replaced")
	}
}
