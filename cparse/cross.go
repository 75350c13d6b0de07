package cparse

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/internal/cache"
	"github.com/pyinc/pyinc/target"
)

// A target other than the host's is parsed as its own compiler sees the
// headers: that compiler's predefined macros (with the target's flags, so
// -mlong-double-64 says 8) and its system include directories, and
// modernc.org/cc/v4's type sizes for the target's operating system. The
// compiler is the one whose output is ground truth for the target (a
// cross gcc), so that the tests compare like with like.

var (
	crossMu  sync.Mutex
	crossCfg = map[string]hostCompiler{}
)

// targetConfig returns a fresh cc/v4 configuration for tg.
func targetConfig(tg target.Target) (*cc.Config, error) {
	if tg.IsDefault() {
		return hostConfig()
	}
	crossMu.Lock()
	h, ok := crossCfg[tg.Name]
	var err error
	if !ok {
		if h, err = loadCrossCompiler(answerStore(), tg); err == nil {
			crossCfg[tg.Name] = h
		}
	}
	crossMu.Unlock()
	if err != nil {
		return nil, err
	}
	abi, err := cc.NewABI(tg.CCOS, "amd64")
	if err != nil {
		return nil, fmt.Errorf("cannot configure the C front end for %s: %v", tg.Name, err)
	}
	if tg.LongDoubleSize == abi.Types[cc.Double].Size {
		// -mlong-double-64: long double is a double (as with MSVC).
		abi.Types[cc.LongDouble] = abi.Types[cc.Double]
		abi.Types[cc.ComplexLongDouble] = abi.Types[cc.ComplexDouble]
	}
	sys := append([]string{}, h.HostSysIncludes...)
	inc := append([]string{}, h.HostIncludePaths...)
	return &cc.Config{
		ABI:                 abi,
		CC:                  h.CC,
		HostIncludePaths:    inc[:len(inc):len(inc)],
		HostSysIncludePaths: sys[:len(sys):len(sys)],
		IncludePaths:        append([]string{""}, append(append([]string{}, inc...), sys...)...),
		Predefined:          h.Predefined,
		SysIncludePaths:     sys[:len(sys):len(sys)],
	}, nil
}

// loadCrossCompiler asks tg's compiler for its predefined macros and
// include directories, from the answer cache while the compiler is
// unchanged.
func loadCrossCompiler(store cache.Dir, tg target.Target) (hostCompiler, error) {
	var h hostCompiler
	path, err := exec.LookPath(tg.CrossCC)
	if err != nil {
		return h, fmt.Errorf("the %s target needs its C compiler's headers: %s is not installed (Debian: apt-get install gcc-mingw-w64-x86-64, or make deps)", tg.Name, tg.CrossCC)
	}
	key := cache.Key("cross-cc", tg.Name, tg.CrossCFlags, cache.FileID(path))
	if b, ok := store.Get(key); ok && json.Unmarshal(b, &h) == nil && h.CC != "" {
		return h, nil
	}
	run := func(extra ...string) (string, error) {
		args := append(append(append([]string{}, tg.CrossCFlags...), extra...), "-x", "c", "-")
		cmd := exec.Command(path, args...)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("%s %s: %v: %s", tg.CrossCC, strings.Join(args, " "), err, firstLine(string(out)))
		}
		return string(out), nil
	}
	pre, err := run("-dM", "-E")
	if err != nil {
		return h, err
	}
	if stdcVersion(pre) >= 202000 {
		return h, fmt.Errorf("%s defaults to C23, which pyinc's C front end is not configured for here", tg.CrossCC)
	}
	verbose, err := run("-v", "-E")
	if err != nil {
		return h, err
	}
	h = hostCompiler{CC: path, Predefined: pre}
	h.HostIncludePaths, h.HostSysIncludes = searchDirs(verbose)
	if len(h.HostSysIncludes) == 0 {
		return h, fmt.Errorf("%s -v lists no system include directory", tg.CrossCC)
	}
	if b, err := json.Marshal(h); err == nil {
		store.Put(key, b)
	}
	return h, nil
}

// searchDirs reads the include search lists of gcc -v: the "..." list,
// then the <...> list.
func searchDirs(verbose string) (quote, system []string) {
	var cur *[]string
	sc := bufio.NewScanner(strings.NewReader(verbose))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, `#include "..." search starts here:`):
			cur = &quote
		case strings.HasPrefix(l, `#include <...> search starts here:`):
			cur = &system
		case strings.HasPrefix(l, "End of search list."):
			cur = nil
		case cur != nil && strings.HasPrefix(l, " "):
			*cur = append(*cur, filepath.Clean(strings.TrimSpace(l)))
		}
	}
	return quote, system
}
