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
