//go:build man

package main

// The manual pages are written by a pyinc built with -tags man (make man):
// cobra's page generator brings a Markdown renderer whose start-up every
// run of pyinc would otherwise pay.

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() { optionalCommands = append(optionalCommands, newManCmd) }

// newManCmd writes the manual pages (make man). It is hidden: users read
// the pages, they do not make them.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write pyinc.1 and a page per command into DIR",
		Hidden: true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fail("man takes the directory to write the pages into")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return writeManPages(cmd.Root(), args[0]) },
	}
}

// writeManPages renders the command tree as man pages, dated by
// SOURCE_DATE_EPOCH, else by the commit pyinc was built from, so that the
// same pyinc writes the same pages.
func writeManPages(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail("cannot create %s: %v", dir, err)
	}
	root.DisableAutoGenTag = true
	header := &doc.GenManHeader{Title: "PYINC", Section: "1", Source: "pyinc " + moduleVersion(), Manual: "pyinc manual", Date: pageDate()}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return fail("cannot write the man pages into %s: %v", filepath.Clean(dir), err)
	}
	return nil
}

func pageDate() *time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		t := time.Unix(s, 0).UTC()
		return &t
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if t, err := time.Parse(time.RFC3339, s.Value); s.Key == "vcs.time" && err == nil {
				return &t
			}
		}
	}
	return nil // cobra then uses today's date
}
