package main

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// pseudoVersionRE matches the version the go command stamps from a VCS
// checkout (v0.0.0-20261122163800-2a641ef12345+dirty): not a release.
var pseudoVersionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-(0\.)?[0-9]{14}-[0-9a-f]{12}`)

// buildVersion says what was built, for bug reports: the module version
// under 'go install ...@vX.Y.Z', else the VCS revision with "-dirty" when
// the work tree had changes, else "(devel)"; then the Go version and
// platform: "v1.2.0 (go1.26.8, linux/amd64)".
func buildVersion() string {
	return fmt.Sprintf("%s (%s, %s/%s)", moduleVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" && !pseudoVersionRE.MatchString(v) {
		return v
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if settings["vcs.modified"] == "true" {
		rev += "-dirty"
	}
	return rev
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print what was built: version or revision, Go version, platform",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "pyinc %s\n", buildVersion())
			return err
		},
	}
}

// noArgs refuses positional arguments with a message naming the command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fail("unexpected argument %q: %s takes no arguments", args[0], cmd.CommandPath())
	}
	return nil
}
