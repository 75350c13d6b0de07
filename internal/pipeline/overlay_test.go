package pipeline_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
)

// TestSystemOverlayChangesNothing: the system headers preprocessed by the
// host compiler (cparse's system overlay, issue 18) give the same include
// and the same warnings as the front end reading them itself, for every
// Python found (the Debian tree's too) in its default configuration and,
// where it has one, the limited API of 3.8.
func TestSystemOverlayChangesNothing(t *testing.T) {
	testutil.NeedTools(t, "gcc")
	if testing.Short() {
		t.Skip("-short: two parses of every Python")
	}
	for _, py := range testutil.AllPythons(t) {
		for _, c := range []cparse.Config{{}, {LimitedAPI: "3.8"}} {
			defines, err := c.Resolve(py)
			if err != nil {
				continue // no limited API 3.8 in these headers, or a debug build
			}
			var runs [2]*pipeline.Result
			for i, on := range []bool{true, false} {
				cparse.SetSystemOverlay(on)
				runs[i], err = pipeline.Run(py, defines)
				cparse.SetSystemOverlay(true)
				if err != nil && strings.Contains(err.Error(), "refuse this configuration") {
					break // an #error: free-threaded 3.13, or 3.11 with trace-refs, has no limited API
				}
				if err != nil {
					t.Fatalf("%s %+v (overlay %v): %v", testutil.Name(py), c, on, err)
				}
			}
			if runs[0] == nil || runs[1] == nil {
				continue
			}
			if !bytes.Equal(runs[0].Include, runs[1].Include) || !slices.Equal(runs[0].Warnings, runs[1].Warnings) {
				t.Errorf("%s %+v: the include or its warnings differ with the system overlay", testutil.Name(py), c)
			}
		}
	}
}
