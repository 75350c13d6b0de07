package cparse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/internal/cache"
)

// The host C compiler's configuration (two compiler runs for cc/v4) and an
// interpreter's sysconfig answers (one interpreter start) are the same run
// after run: they are kept in the content-checked cache, keyed by the
// identity of the compiler's and the interpreter's files, and asked again
// when one of those files changes.

var (
	answersMu sync.Mutex
	answers   cache.Dir // "" keeps nothing: every run asks
)

// KeepAnswers makes cparse keep the host compiler's configuration and the
// interpreters' sysconfig answers in dir ("" asks every time).
func KeepAnswers(dir string) {
	answersMu.Lock()
	answers = cache.Dir(dir)
	answersMu.Unlock()
}

func answerStore() cache.Dir {
	answersMu.Lock()
	defer answersMu.Unlock()
	return answers
}

// hostCompiler is what cc/v4 learns from the host C compiler.
type hostCompiler struct {
	CC                                string
	Predefined                        string
	HostIncludePaths, HostSysIncludes []string
}

// compilerEnv are the variables that change what the compiler answers.
var compilerEnv = []string{"CC", "CPATH", "C_INCLUDE_PATH", "GCC_EXEC_PREFIX", "COMPILER_PATH"}

// compilerKey identifies the compilers cc/v4 may pick ($CC, cc, gcc, the
// first that works) by their files and the environment they run in.
func compilerKey() string {
	var parts []any
	for _, v := range compilerEnv {
		parts = append(parts, v+"="+os.Getenv(v))
	}
	for _, name := range []string{os.Getenv("CC"), "cc", "gcc"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			parts = append(parts, cache.FileID(p))
		} else {
			parts = append(parts, name+" not found")
		}
	}
	return cache.Key("cc", parts...)
}

var (
	hostOnce sync.Once
	hostCfg  hostCompiler
	hostErr  error
)

// hostConfig returns a fresh cc/v4 configuration for linux/amd64, from the
// cache when the compiler is unchanged. It asks the compiler at most once
// per process.
func hostConfig() (*cc.Config, error) {
	hostOnce.Do(func() { hostCfg, hostErr = loadHostCompiler(answerStore()) })
	if hostErr != nil {
		return nil, hostErr
	}
	return hostCfg.config()
}

func loadHostCompiler(store cache.Dir) (hostCompiler, error) {
	key := compilerKey()
	var h hostCompiler
	if b, ok := store.Get(key); ok && json.Unmarshal(b, &h) == nil && h.CC != "" {
		return h, nil
	}
	if err := haveCompiler(); err != nil {
		return h, err
	}
	cfg, err := cc.NewConfig("linux", "amd64")
	if err != nil {
		return h, fmt.Errorf("cannot learn the C compiler's configuration (which pyinc needs for the system headers): %s: check that cc (or $CC) compiles C", firstLine(err.Error()))
	}
	h = hostCompiler{CC: cfg.CC, Predefined: cfg.Predefined, HostIncludePaths: cfg.HostIncludePaths, HostSysIncludes: cfg.HostSysIncludePaths}
	if stdcVersion(h.Predefined) >= 202000 {
		// cc/v4 then turns on C23 keywords in a field pyinc cannot set:
		// such a configuration is asked for every time.
		return h, nil
	}
	if b, err := json.Marshal(h); err == nil {
		store.Put(key, b)
	}
	return h, nil
}

// haveCompiler says, when there is no C compiler cc/v4 could ask, which
// to install: cc/v4's own error names its source file instead.
func haveCompiler() error {
	if c := os.Getenv("CC"); c != "" {
		if _, err := exec.LookPath(strings.Fields(c + " x")[0]); err != nil {
			return fmt.Errorf("CC=%s is not a program on PATH: pyinc asks the C compiler for the system headers' configuration; point CC at one, or unset it to use cc", c)
		}
		return nil
	}
	for _, name := range []string{"cc", "gcc"} {
		if _, err := exec.LookPath(name); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no C compiler (cc or gcc) on PATH: pyinc asks it for the system headers' configuration; install gcc (Debian/Ubuntu: apt-get install gcc)")
}

// config rebuilds the configuration cc.NewConfig makes from the compiler's
// answers (for a C17 compiler and no options, all it sets).
func (h hostCompiler) config() (*cc.Config, error) {
	if stdcVersion(h.Predefined) >= 202000 {
		return cc.NewConfig("linux", "amd64")
	}
	abi, err := cc.NewABI("linux", "amd64")
	if err != nil {
		return nil, fmt.Errorf("cannot configure the C front end: %v", err)
	}
	inc := slices.Clone(h.HostIncludePaths) // nil stays nil, as in NewConfig
	sys := slices.Clone(h.HostSysIncludes)
	return &cc.Config{
		ABI:                 abi,
		CC:                  h.CC,
		HostIncludePaths:    inc[:len(inc):len(inc)],
		HostSysIncludePaths: sys[:len(sys):len(sys)],
		IncludePaths:        append([]string{""}, append(slices.Clone(inc), sys...)...),
		Predefined:          h.Predefined,
		SysIncludePaths:     sys[:len(sys):len(sys)],
	}, nil
}

func stdcVersion(predefined string) int64 {
	const prefix = "#define __STDC_VERSION__ "
	for _, l := range strings.Split(predefined, "\n") {
		if strings.HasPrefix(l, prefix) {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(l[len(prefix):]), "L"), 10, 64)
			return n
		}
	}
	return 0
}

// interpreterEnv are the variables that change what an interpreter answers.
var interpreterEnv = []string{"PYTHONHOME", "PYTHONPATH", "PYTHONPLATLIBDIR", "_PYTHON_SYSCONFIGDATA_NAME", "_PYTHON_PROJECT_BASE", "_PYTHON_HOST_PLATFORM"}

// queryAnswer is a kept interpreter answer: the query's output and the
// identities of the files it came from (the interpreter, sysconfig and
// its data module).
type queryAnswer struct {
	Output string
	Files  map[string]string // path -> cache.FileID
}

func queryKey(interp string) string {
	// The path as given counts, not only the file it resolves to: a
	// venv's bin/python is a link to its base interpreter, yet answers
	// with its own sys.executable and prefix.
	abs, _ := filepath.Abs(interp)
	parts := []any{queryScript, abs, cache.FileID(interp)}
	for _, v := range interpreterEnv {
		parts = append(parts, v+"="+os.Getenv(v))
	}
	return cache.Key("sysconfig", parts...)
}

// runQuery runs the query script under interp, or returns its kept answer
// when none of the files it came from changed.
func runQuery(interp string) ([]byte, error) {
	store := answerStore()
	key := queryKey(interp)
	var a queryAnswer
	if b, ok := store.Get(key); ok && json.Unmarshal(b, &a) == nil && a.Files != nil && sameFiles(a.Files) {
		return []byte(a.Output), nil
	}
	out, err := runIsolated(interp, queryScript)
	if err != nil {
		return nil, err
	}
	a = queryAnswer{Output: string(out), Files: map[string]string{interp: cache.FileID(interp)}}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "file="); ok && v != "" {
			a.Files[v] = cache.FileID(v)
		}
	}
	if b, err := json.Marshal(a); err == nil {
		store.Put(key, b)
	}
	return out, nil
}

func sameFiles(files map[string]string) bool {
	for f, id := range files {
		if cache.FileID(f) != id {
			return false
		}
	}
	return true
}

// QueryTimeout bounds one interpreter query: an interpreter that never
// answers must not hang pyinc.
var QueryTimeout = 30 * time.Second

// neutralDir is the working directory of every interpreter pyinc runs:
// Python 2.7 has no -I and puts the working directory first on sys.path,
// so a sysconfig.py in the user's directory would run. Only root can
// write to the file system's root.
const neutralDir = "/"

// IsolatedArgs are the interpreter options that keep the user's files out
// of an interpreter pyinc runs: -I (Python 3.4+: no environment variables,
// no user site-packages, neither the script's nor the working directory
// on sys.path), or, for the interpreters that reject -I, -E -s.
func IsolatedArgs(hasI bool) []string {
	if hasI {
		return []string{"-I"}
	}
	return []string{"-E", "-s"}
}

// IsolatedCommand is p's interpreter running args as pyinc runs every
// interpreter: by its absolute path, in neutralDir, with IsolatedArgs
// first (-I came with Python 3.4; 2.7 rejects it).
func (p *Python) IsolatedCommand(args ...string) *exec.Cmd {
	major, minor, _ := strings.Cut(p.MajorMinor(), ".")
	n, _ := strconv.Atoi(minor)
	hasI := major != "2" && (major != "3" || n >= 4)
	return isolated(context.Background(), p.Interpreter, IsolatedArgs(hasI), args...)
}

// isolated is interp run with opts and args in neutralDir, by its
// absolute path: a relative one would be looked for there.
func isolated(ctx context.Context, interp string, opts []string, args ...string) *exec.Cmd {
	if abs, err := filepath.Abs(interp); err == nil {
		interp = abs
	}
	cmd := exec.CommandContext(ctx, interp, append(opts, args...)...)
	cmd.Dir = neutralDir
	return cmd
}

// runIsolated runs script under interp, isolated from the working
// directory, the environment and the user's site-packages, within
// QueryTimeout, and returns its standard output.
func runIsolated(interp, script string) ([]byte, error) {
	out, err := runScript(interp, IsolatedArgs(true), script)
	var ee *exec.ExitError
	if errors.As(err, &ee) && bytes.Contains(ee.Stderr, []byte("-I")) && bytes.Contains(bytes.ToLower(ee.Stderr), []byte("option")) {
		// Python 2.7: "Unknown option: -I".
		out, err = runScript(interp, IsolatedArgs(false), script)
	}
	return out, err
}

func runScript(interp string, opts []string, script string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	cmd := isolated(ctx, interp, opts, "-c", script)
	cmd.WaitDelay = time.Second // a child holding the pipe open must not hang us
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("no answer within %v: pass an interpreter that runs", QueryTimeout)
	}
	return out, err
}
