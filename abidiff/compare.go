// Package abidiff compares what two includes say about an ABI: the
// semantic report a person porting an extension reads, and a plain
// unified diff of the texts.
package abidiff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pyinc/pyinc/emit"
)

// Change is one difference between two includes.
type Change struct {
	Section  string `json:"section"` // "struct", "constant", "extern"
	Name     string `json:"name"`    // "PyASCIIObject.wstr", "METH_O", ...
	Kind     string `json:"kind"`    // removed, moved, resized, retyped, now-union, now-bitfield, added, changed
	Breaking bool   `json:"breaking"`
	Detail   string `json:"detail"`
	// Delta is how far a moved member moved, in bytes.
	Delta int64 `json:"delta,omitempty"`
	// Names are the include names the change concerns when they are more
	// than Name: a bit now owned by another bitfield concerns both.
	Names []string `json:"names,omitempty"`
}

func chg(section, name, kind string, breaking bool, detail string) Change {
	return Change{Section: section, Name: name, Kind: kind, Breaking: breaking, Detail: detail}
}

// Report is the semantic difference between two includes.
type Report struct {
	From    string           `json:"from"`
	To      string           `json:"to"`
	Changes []Change         `json:"changes"`
	Summary map[string]Tally `json:"summary"`
	// Moves are the runs of members that moved by the same amount, each
	// shown as one line of the text report unless it is verbose.
	Moves []MoveRun `json:"moves,omitempty"`
}

// Tally counts a section's changes.
type Tally struct {
	Changed  int `json:"changed"`
	Added    int `json:"added"`
	Removed  int `json:"removed"`
	Breaking int `json:"breaking"`
}

var sectionOrder = map[string]int{"struct": 0, "constant": 1, "extern": 2}

// Compare reports what changed from a to b, breaking changes first.
func Compare(a, b *emit.Include) *Report {
	r := &Report{From: describe(a), To: describe(b), Summary: map[string]Tally{}}
	if a.Target != b.Target {
		// A port between targets: say which side is which.
		r.From += " for " + a.Target
		r.To += " for " + b.Target
	}
	add := func(c Change) { r.Changes = append(r.Changes, c) }
	bs := map[string]*emit.StructInfo{}
	for _, s := range b.Structs {
		bs[s.Name] = s
	}
	as := map[string]*emit.StructInfo{}
	for _, s := range a.Structs {
		as[s.Name] = s
		t := bs[s.Name]
		if t == nil {
			add(chg("struct", s.Name, "removed", true, fmt.Sprintf("%s removed (size %d)", s.CName, s.Size)))
			continue
		}
		before := len(r.Changes)
		compareStruct(s, t, add)
		r.Moves = append(r.Moves, moveRuns(s, r.Changes[before:])...)
	}
	for _, s := range b.Structs {
		if as[s.Name] == nil {
			add(chg("struct", s.Name, "added", false, fmt.Sprintf("%s added (size %d)", s.CName, s.Size)))
		}
	}
	compareMaps("constant", a.Constants, b.Constants, "= ", add)
	compareMaps("extern", a.Externs, b.Externs, "", add)
	respelled(r.Changes)
	sort.SliceStable(r.Changes, func(i, j int) bool {
		x, y := r.Changes[i], r.Changes[j]
		if x.Breaking != y.Breaking {
			return x.Breaking
		}
		if x.Section != y.Section {
			return sectionOrder[x.Section] < sectionOrder[y.Section]
		}
		return x.Name < y.Name
	})
	changedStructs := map[string]bool{}
	for _, c := range r.Changes {
		t := r.Summary[c.Section]
		switch {
		case c.Kind == "added" && (c.Section != "struct" || !strings.Contains(c.Name, ".")):
			t.Added++
		case c.Kind == "removed" && (c.Section != "struct" || !strings.Contains(c.Name, ".")):
			t.Removed++
		case c.Section == "struct":
			owner, _, _ := strings.Cut(c.Name, ".")
			if !changedStructs[owner] {
				changedStructs[owner] = true
				t.Changed++
			}
		default:
			t.Changed++
		}
		if c.Breaking {
			t.Breaking++
		}
		r.Summary[c.Section] = t
	}
	return r
}

func describe(s *emit.Include) string {
	if s.Config == "" {
		return s.Python
	}
	return s.Python + " (" + s.Config + ")"
}

func compareStruct(a, b *emit.StructInfo, add func(Change)) {
	if a.Size != b.Size {
		add(chg("struct", a.Name, "resized", true, fmt.Sprintf("size %d -> %d", a.Size, b.Size)))
	}
	bm := map[string]emit.MemberInfo{}
	for _, m := range b.Members {
		bm[m.Path] = m
	}
	am := map[string]bool{}
	for _, m := range a.Members {
		am[m.Path] = true
		name := a.Name + "." + m.Path
		n, ok := bm[m.Path]
		switch {
		case !ok && m.Bitfield:
			add(chg("struct", name, "removed", true, fmt.Sprintf("removed (was %s :%d, %s)", m.CType, m.Width, bitPlace(a, m))))
			continue
		case !ok:
			add(chg("struct", name, "removed", true, fmt.Sprintf("removed (was %s @%d)", m.CType, m.Offset)))
			continue
		case m.Bitfield && n.Bitfield:
			compareBitfield(a, b, m, n, add)
		case m.Offset != n.Offset:
			c := chg("struct", name, "moved", true, fmt.Sprintf("moved @%d -> @%d", m.Offset, n.Offset))
			c.Delta = n.Offset - m.Offset
			add(c)
		}
		if m.Size >= 0 && n.Size >= 0 && m.Size != n.Size {
			add(chg("struct", name, "resized", true, fmt.Sprintf("size %d -> %d (%s -> %s)", m.Size, n.Size, m.CType, n.CType)))
		} else if m.CType != n.CType {
			add(chg("struct", name, "retyped", false, fmt.Sprintf("type %s -> %s", m.CType, n.CType)))
		}
		if !m.Bitfield && n.Bitfield {
			add(chg("struct", name, "now-bitfield", true, fmt.Sprintf("became a bitfield: %s (%s :%d)", bitPlace(b, n), n.CType, n.Width)))
		}
		was, now := overlaps(a, m), overlaps(b, n)
		if len(was) == 0 && len(now) > 0 {
			add(chg("struct", name, "now-union", true, "now shares its storage with "+strings.Join(now, ", ")+" (a union)"))
		}
	}
	for _, n := range b.Members {
		if am[n.Path] {
			continue
		}
		what := fmt.Sprintf("added (%s @%d)", n.CType, n.Offset)
		switch {
		case n.Alt:
			what = fmt.Sprintf("added as a union alternative (%s @%d)", n.CType, n.Offset)
		case n.Bitfield:
			what = fmt.Sprintf("added, a bitfield: %s (%s :%d)", bitPlace(b, n), n.CType, n.Width)
		}
		add(chg("struct", a.Name+"."+n.Path, "added", false, what))
	}
	compareBits(a, b, add)
}

// overlaps lists the members of s that share bytes with m, other than
// those that contain it or that it contains.
func overlaps(s *emit.StructInfo, m emit.MemberInfo) []string {
	if m.Bitfield || m.Size == 0 {
		return nil
	}
	size := m.Size
	if size < 0 {
		size = 1
	}
	var out []string
	for _, o := range s.Members {
		if o.Path == m.Path || o.Bitfield || o.Size == 0 ||
			strings.HasPrefix(o.Path, m.Path+".") || strings.HasPrefix(m.Path, o.Path+".") {
			continue
		}
		osize := o.Size
		if osize < 0 {
			osize = 1
		}
		if o.Offset < m.Offset+size && m.Offset < o.Offset+osize {
			out = append(out, o.Path)
		}
	}
	return out
}

// versionConstant are the constants that say which Python the headers
// are: they differ between any two versions, and code that reads them
// does so to tell versions apart, so a change to them breaks nothing.
var versionConstant = map[string]bool{
	"PY_MAJOR_VERSION": true, "PY_MINOR_VERSION": true, "PY_MICRO_VERSION": true,
	"PY_RELEASE_LEVEL": true, "PY_RELEASE_SERIAL": true, "PY_VERSION": true, "PY_VERSION_HEX": true,
}

func compareMaps(section string, a, b map[string]string, sep string, add func(Change)) {
	for name, v := range a {
		w, ok := b[name]
		switch {
		case !ok:
			add(chg(section, name, "removed", true, "removed (was "+sep+v+")"))
		case v != w:
			add(chg(section, name, "changed", !versionConstant[name], sep+v+" -> "+sep+w))
		}
	}
	for name, w := range b {
		if _, ok := a[name]; !ok {
			add(chg(section, name, "added", false, "added "+sep+w))
		}
	}
}
