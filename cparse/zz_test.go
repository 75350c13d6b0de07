package cparse

import (
	"os"
	"testing"
	"time"
	"strconv"
	"runtime/debug"
)

func TestZZHog(t *testing.T) {
	g, _ := strconv.Atoi(os.Getenv("G")); debug.SetGCPercent(g)
	py, _ := Find(os.Getenv("HOME") + "/.pyenv/versions/3.12.1/bin/python3")
	var best time.Duration = time.Hour
	for i := 0; i < 6; i++ {
		t0 := time.Now()
		Parse(py, nil)
		best = min(best, time.Since(t0))
	}
	t.Logf("best parse %v", best)
}
