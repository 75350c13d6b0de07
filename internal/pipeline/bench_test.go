package pipeline

import (
	"testing"

	"github.com/pyinc/pyinc/cparse"
)

// BenchmarkGenerate is a cold generation of one include per Python found,
// the work make pgo profiles into cmd/pyinc/default.pgo. Speed goals are
// make bench's, as ratios; this is the representative run, not a goal.
func BenchmarkGenerate(b *testing.B) {
	all := cparse.Discover()
	if len(all) == 0 {
		b.Skip("no Python with headers is installed")
	}
	for i := 0; i < b.N; i++ {
		py := all[i%len(all)]
		if _, err := Run(py, nil); err != nil {
			b.Fatalf("%s: %v", py.Version, err)
		}
	}
}
