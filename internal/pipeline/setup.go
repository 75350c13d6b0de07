package pipeline

import (
	"os"
	"runtime/debug"

	"github.com/pyinc/pyinc/cparse"
)

// gcPercent is the collector's setting for pyinc's runs. A parse keeps
// most of what it allocates (the syntax tree) until the include is
// written, so the collector at Go's default (100) spends about a third of
// a cold run tracing a heap that is mostly live. Measured on 3.12
// (issue 18, medians of 9, CPU time of a cold run / peak RSS):
// 100: 0.72 s / 87 MB, 200: 0.70 s / 94 MB, 400: 0.60 s / 119 MB,
// 800: 0.52 s / 126 MB, 1600: 0.49 s / 157 MB, off: 0.54 s / 202 MB,
// off with a 160 MiB limit: 0.58 s / 160 MB. 800 takes most of the gain
// and leaves room under the 200 MB budget for larger headers.
const gcPercent = 800

// Setup prepares the process for pyinc's commands; main calls it first.
// It sets the collector for a short-lived run (GOGC, when set, wins) and
// keeps the host compiler's configuration and the interpreters' sysconfig
// answers in the cache directory.
func Setup() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	cparse.KeepAnswers(CacheDir())
}
