package pipeline

import (
	"os"
	"runtime/debug"

	"github.com/pyinc/pyinc/cparse"
)

// Collector settings for a short-lived process whose one big job, a parse,
// allocates about 200 MB of which little is garbage before the end: the
// collector runs less often (gcPercent), and a memory limit keeps the
// peak within budget when several parses run at once (gen --all).
// Measured with make bench; see issue 18.
const (
	gcPercent   = 400
	memoryLimit = 0 // bytes; 0 sets none
)

// Setup prepares the process for pyinc's commands; main calls it first.
// It sets the collector for a short-lived run (GOGC and GOMEMLIMIT, when
// set, win) and keeps the host compiler's configuration and the
// interpreters' sysconfig answers in the cache directory.
func Setup() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" && memoryLimit > 0 {
		debug.SetMemoryLimit(memoryLimit)
	}
	cparse.KeepAnswers(CacheDir())
}
