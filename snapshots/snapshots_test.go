package snapshots_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/abidiff"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/snapshots"
	"github.com/pyinc/pyinc/target"
)

// TestSnapshotsCurrent regenerates every snapshot whose Python is installed
// and fails, with a readable diff, where the committed file differs.
func TestSnapshotsCurrent(t *testing.T) {
	entries, err := snapshots.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	all := testutil.AllPythons(t)
	for _, e := range entries {
		t.Run(strings.TrimSuffix(e.File, ".inc"), func(t *testing.T) {
			tg, err := target.Parse(e.Target)
			if err != nil {
				t.Fatal(err)
			}
			py := e.Find(all)
			if !tg.IsDefault() {
				if py = e.FindSource(testutil.SourceTrees()); py == nil {
					t.Skipf("CPython's source tree %s is not at hand (make pythons fetches it): %s not checked", e.Version, e.File)
				}
				if _, err := exec.LookPath(tg.CrossCC); err != nil {
					t.Skipf("%s is not installed (make deps): %s not checked", tg.CrossCC, e.File)
				}
			}
			if py == nil {
				t.Skipf("Python %s (debug %v) is not installed: %s not checked", e.Version, e.Debug, e.File)
			}
			t.Parallel()
			want, err := os.ReadFile(e.File)
			if err != nil {
				t.Fatalf("%v: run make regen-inc", err)
			}
			defines, err := e.Config.Resolve(py)
			if err != nil {
				t.Fatal(err)
			}
			r, err := pipeline.RunFor(py, defines, tg)
			if err != nil {
				t.Fatal(err)
			}
			got := r.Include
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what pyinc generates now (run make regen-inc if the change is meant):\n%s",
					e.File, abidiff.Unified(string(want), string(got), "snapshots/"+e.File, "generated", 3, 60))
			}
		})
	}
}
