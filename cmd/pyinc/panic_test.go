package main

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestPanicIsOneLine: a bug that panics, in the command or in one of the
// goroutines pyinc starts, ends pyinc with one line and exit status 2,
// never a Go stack trace.
func TestPanicIsOneLine(t *testing.T) {
	saved := optionalCommands
	defer func() { optionalCommands = saved }()
	optionalCommands = append(optionalCommands, func() *cobra.Command {
		return &cobra.Command{Use: "boom", RunE: func(_ *cobra.Command, args []string) error {
			_ = args[len(args)] // out of range: a runtime panic
			return nil
		}}
	}, func() *cobra.Command {
		return &cobra.Command{Use: "boomgo", RunE: func(*cobra.Command, []string) error {
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer recovered(&err)
				panic("in a worker\nsecond line")
			}()
			<-done
			return err
		}}
	})
	for _, cmd := range []string{"boom", "boomgo"} {
		r, w, _ := os.Pipe()
		stderr := os.Stderr
		os.Stderr = w
		code := execute([]string{cmd})
		os.Stderr = stderr
		w.Close()
		b, _ := io.ReadAll(r)
		msg := string(b)
		if code != exitError || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "internal error:") || strings.Contains(msg, "goroutine") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line", cmd, code, msg)
		}
	}
}
