package testutil

import (
	"testing"

	"github.com/pyinc/pyinc/internal/pipeline"
)

// Generate runs the pipeline for the installed release build of Python mm
// ("3.12"), skipping the test when there is none.
func Generate(t testing.TB, mm string) *pipeline.Result {
	t.Helper()
	for _, py := range Pythons(t) {
		if py.MajorMinor() == mm && !py.IsDebug() {
			r, err := pipeline.Run(py, nil)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	t.Skipf("Python %s is not installed", mm)
	return nil
}
