// Package crosscheck checks pyinc's output against gcc: it writes a C
// probe that prints what gcc computes (sizeof, offsetof, bitfield bytes,
// macro values, initializer bytes) and a NASM probe that assembles the same
// items from the generated include, and compares the two byte for byte.
package crosscheck

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/layout"
)

// Item is one checked fact: C writes Size bytes for it, NASM assembles the
// same number of bytes.
type Item struct {
	What string // "sizeof PyObject", "offsetof PyObject.ob_type", ...
	C    string // C statement(s) writing the bytes; see cProgram
	NASM string // NASM data lines
	Size int
	// Static defines the same bytes as a C object named by its %[1]s, for
	// a target whose programs cannot run here (staticProgram); Raw is
	// how many bytes of that object to read (Size when 0), and Post, if
	// set, turns them into the item's Size bytes.
	Static string
	Raw    int
	Post   func([]byte) []byte
}

// Counts says how many facts of each kind a probe holds.
type Counts struct {
	Structs, Members, Bitfields, Constants, Strings, Inits, Aliases int
}

func (c Counts) String() string {
	return fmt.Sprintf("%d structs, %d members, %d bitfields, %d integer constants, %d string constants, %d initializers, %d symbol aliases",
		c.Structs, c.Members, c.Bitfields, c.Constants, c.Strings, c.Inits, c.Aliases)
}

// Probe holds the items for one model.
type Probe struct {
	Items  []Item
	Counts Counts
}

// w8 is the C statement writing an expression as 8 bytes.
func w8(v string) string { return "W8((unsigned long long)(" + v + "));" }

// Build lists every fact of m that gcc can confirm. include is the
// generated file's text, read for the widths of STRUC lines.
func Build(m *layout.Model, include string) (*Probe, error) {
	p := &Probe{}
	add := func(what, c, nasm string, size int) {
		p.Items = append(p.Items, Item{What: what, C: c, NASM: nasm, Size: size, Static: staticOf(c)})
	}
	// The widths the STRUC lines reserve, as the include states them.
	sum, err := emit.Read(include)
	if err != nil {
		return nil, err
	}
	widths := map[string]map[string]int64{}
	for _, st := range sum.Structs {
		widths[st.Name] = map[string]int64{}
		for _, mi := range st.Members {
			if !mi.Alt && !mi.Bitfield {
				widths[st.Name][mi.Path] = mi.Size
			}
		}
	}
	for _, s := range m.Structs {
		n := emit.Name(s.Name)
		p.Counts.Structs++
		add("sizeof "+s.CName, w8("sizeof("+s.CName+")"), "dq "+n+"_size", 8)
		for _, l := range s.Lines {
			if l.Padding || l.Storage {
				continue
			}
			p.Counts.Members++
			add("offsetof "+s.Name+"."+l.Path, w8("offsetof("+s.CName+", "+l.Path+")"), "dq "+n+"."+l.Path, 8)
			if !l.Flexible {
				w, ok := widths[s.Name][l.Path]
				if !ok {
					w = -1 // no such line in the include: shows as a mismatch
				}
				add("width of "+s.Name+"."+l.Path+" in the STRUC", w8("sizeof((("+s.CName+" *)0)->"+l.Path+")"),
					fmt.Sprintf("dq %d", w), 8)
			}
		}
		for _, a := range s.Alts {
			p.Counts.Members++
			add("offsetof "+s.Name+"."+a.Path, w8("offsetof("+s.CName+", "+a.Path+")"), "dq "+n+"."+a.Path, 8)
		}
		for _, b := range s.Bitfields {
			p.Counts.Bitfields++
			full := n + "." + b.Path
			// gcc's bytes, cut or padded to pyinc's size so that a wrong size
			// shows here as a mismatch rather than derailing the probe.
			c := fmt.Sprintf("{ %s s; memset(&s, 0, sizeof s); s.%s = ~0ULL; WN(&s, sizeof s, %d); }", s.CName, b.Path, s.Size)
			var nb strings.Builder
			fmt.Fprintf(&nb, "times %s db 0\n", full)
			for _, d := range []struct {
				unit int
				dir  string
			}{{1, "db"}, {2, "dw"}, {4, "dd"}, {8, "dq"}} {
				fmt.Fprintf(&nb, "%%if %s_UNIT == %d\n%s %s_MASK\n%%endif\n", full, d.unit, d.dir, full)
			}
			fmt.Fprintf(&nb, "times %s_size - %s - %s_UNIT db 0", n, full, full)
			add("bitfield "+s.Name+"."+b.Path+" set to all ones", c, nb.String(), int(s.Size))
			ones := fmt.Sprintf("%s %%[1]s = { .%s = ~0ULL };", s.CName, b.Path)
			p.Items[len(p.Items)-1].Static = ones
			// The first bit and the width, as gcc lays the bitfield out,
			// against the unit offset, SHIFT and WIDTH of the include.
			c = fmt.Sprintf("{ %s s; memset(&s, 0, sizeof s); s.%s = ~0ULL; FIRSTBIT(&s, sizeof s); }", s.CName, b.Path)
			add("bitfield "+s.Name+"."+b.Path+" first bit and width", c,
				fmt.Sprintf("dq %s*8 + %s_SHIFT, %s_WIDTH", full, full, full), 16)
			last := &p.Items[len(p.Items)-1]
			last.Static, last.Raw, last.Post = ones, int(s.Size), firstBit
		}
	}
	for _, c := range m.Constants {
		n := emit.Name(c.Name)
		if c.Kind == layout.StringConst {
			p.Counts.Strings++
			add("string "+c.Name, fmt.Sprintf("{ static const char s[] = %s; fwrite(s, sizeof s, 1, stdout); }", c.Name),
				"db "+n+", 0", len(c.Str)+1)
			continue
		}
		p.Counts.Constants++
		add("value of "+c.Name, w8(c.Name), "dq "+n, 8)
	}
	for _, a := range m.Aliases {
		p.Counts.Aliases++
		add("expansion of "+a.Name, fmt.Sprintf("{ static const char s[] = XSTR(%s); fwrite(s, sizeof s, 1, stdout); }", a.Name),
			fmt.Sprintf("%%defstr _pyinc_alias %s\ndb _pyinc_alias, 0", emit.Name(a.Name)), len(a.Target)+1)
	}
	for _, in := range m.Inits {
		p.Counts.Inits++
		args := map[string]string{"type": "0x1234", "size": "0x5678"}
		cargs := map[string]string{"type": "(PyTypeObject *)0x1234", "size": "0x5678"}
		var na, ca []string
		for _, prm := range in.Params {
			na, ca = append(na, args[prm.Name]), append(ca, cargs[prm.Name])
		}
		nasmUse, cUse := in.Name, in.Name
		if len(na) > 0 {
			nasmUse += "(" + strings.Join(na, ", ") + ")"
			cUse += "(" + strings.Join(ca, ", ") + ")"
		}
		c := fmt.Sprintf("{ static %s v[] = { %s }; fwrite(&v[0], sizeof v[0], 1, stdout); }", in.CType, cUse)
		add("bytes of "+cUse, c, nasmUse, len(in.Bytes))
		p.Items[len(p.Items)-1].Static = fmt.Sprintf("%s %%[1]s[] = { %s };", in.CType, cUse)
	}
	return p, nil
}

// cProgram writes every item's bytes to stdout, in order.
func (p *Probe) cProgram(u *cparse.Unit) string {
	var b strings.Builder
	b.WriteString(u.CSource())
	b.WriteString(`#include <stddef.h>
#include <stdio.h>
#include <string.h>
#define STR(x) #x
#define XSTR(x) STR(x)
static void W8(unsigned long long v) { fwrite(&v, 8, 1, stdout); }
static void WN(const void *p, size_t have, size_t want) {
	static const unsigned char zero[4096];
	fwrite(p, have < want ? have : want, 1, stdout);
	if (have < want)
		fwrite(zero, want - have, 1, stdout);
}
static void FIRSTBIT(const void *p, size_t n) {
	const unsigned char *b = p;
	long long first = -1, width = 0;
	for (size_t i = 0; i < n * 8; i++)
		if (b[i / 8] >> (i % 8) & 1) {
			if (first < 0)
				first = i;
			width++;
		}
	W8(first);
	W8(width);
}
`)
	// Many small functions keep gcc fast on thousands of items.
	const per = 200
	nfn := 0
	for i := 0; i < len(p.Items); i += per {
		fmt.Fprintf(&b, "static void part%d(void) {\n", nfn)
		for _, it := range p.Items[i:min(i+per, len(p.Items))] {
			fmt.Fprintf(&b, "\t%s\n", it.C)
		}
		b.WriteString("}\n")
		nfn++
	}
	b.WriteString("int main(void) {\n")
	for i := 0; i < nfn; i++ {
		fmt.Fprintf(&b, "\tpart%d();\n", i)
	}
	b.WriteString("\treturn 0;\n}\n")
	return b.String()
}

// nasmProgram assembles every item's bytes into .data, in order.
func (p *Probe) nasmProgram(incName string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%%include \"%s\"\nsection .data\n", incName)
	for _, it := range p.Items {
		b.WriteString(it.NASM)
		b.WriteByte('\n')
	}
	return b.String()
}

// Check builds the probe for m and runs it against the include: what
// every test of the include against gcc does.
func Check(u *cparse.Unit, m *layout.Model, include []byte, dir string) (*Probe, []Mismatch, error) {
	p, err := Build(m, string(include))
	if err != nil {
		return nil, nil, err
	}
	run := p.Run
	if !u.Target.IsDefault() && u.Target.Name != "" {
		run = p.RunStatic
	}
	bad, err := run(u, include, dir)
	return p, bad, err
}

// Mismatch is an item whose bytes differ.
type Mismatch struct {
	What       string
	GCC, Pyinc []byte
}

func (m Mismatch) String() string {
	if len(m.GCC) == 8 && len(m.Pyinc) == 8 {
		return fmt.Sprintf("%s: gcc %d, pyinc %d", m.What, le64(m.GCC), le64(m.Pyinc))
	}
	return fmt.Sprintf("%s: gcc % x, pyinc % x", m.What, m.GCC, m.Pyinc)
}

func le64(b []byte) int64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return int64(v)
}

// Run compiles and runs the C probe with gcc, assembles the NASM probe
// against the include, and compares. dir is a scratch directory.
func (p *Probe) Run(u *cparse.Unit, include []byte, dir string) ([]Mismatch, error) {
	inc := filepath.Join(dir, "python.inc")
	if err := os.WriteFile(inc, include, 0o644); err != nil {
		return nil, err
	}
	csrc, asrc := filepath.Join(dir, "probe.c"), filepath.Join(dir, "probe.asm")
	if err := os.WriteFile(csrc, []byte(p.cProgram(u)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(asrc, []byte(p.nasmProgram("python.inc")), 0o644); err != nil {
		return nil, err
	}
	gccOut, err := compileRun(u, csrc, filepath.Join(dir, "probe"))
	if err != nil {
		return nil, err
	}
	obj := filepath.Join(dir, "probe.o")
	cmd := exec.Command("nasm", "-f", "elf64", "-I", dir+"/", "-o", obj, asrc)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("nasm: %v\n%s", err, firstLines(out, 20))
	}
	nasmOut, err := dataSection(obj)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, it := range p.Items {
		total += it.Size
	}
	if len(gccOut) != total || len(nasmOut) != total {
		return nil, fmt.Errorf("probe sizes differ: expected %d bytes, gcc wrote %d, nasm assembled %d", total, len(gccOut), len(nasmOut))
	}
	var bad []Mismatch
	off := 0
	for _, it := range p.Items {
		g, n := gccOut[off:off+it.Size], nasmOut[off:off+it.Size]
		if !bytes.Equal(g, n) {
			bad = append(bad, Mismatch{it.What, g, n})
		}
		off += it.Size
	}
	return bad, nil
}

// compileRun compiles the C file src with gcc as u's headers are parsed,
// links it with the objects objs into exe, and runs it.
func compileRun(u *cparse.Unit, src, exe string, objs ...string) ([]byte, error) {
	// gcc's default language mode, as the front end's predefined macros are.
	args := []string{"-w", "-o", exe}
	for _, d := range u.IncludeDirs {
		args = append(args, "-I", d)
	}
	for _, d := range u.AfterDirs {
		args = append(args, "-idirafter", d)
	}
	args = append(append(args, src), objs...)
	if out, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gcc: %v\n%s", err, firstLines(out, 20))
	}
	out, err := exec.Command(exe).Output()
	if err != nil {
		return out, fmt.Errorf("running the C probe: %v", err) // what it printed says why
	}
	return out, nil
}

// RunC compiles a C program made of u's source (the headers with u's
// defines) followed by body with gcc, runs it and returns what it printed:
// for tests that ask gcc one question. dir is a scratch directory.
// The program is linked with the objects objs (NASM's, for tests that
// set the include's macros against the headers' own).
func RunC(u *cparse.Unit, body, dir string, objs ...string) ([]byte, error) {
	src := filepath.Join(dir, "question.c")
	if err := os.WriteFile(src, []byte(u.CSource()+"\n#include <stddef.h>\n#include <stdio.h>\n#include <string.h>\n"+body), 0o644); err != nil {
		return nil, err
	}
	return compileRun(u, src, filepath.Join(dir, "question"), objs...)
}

func dataSection(obj string) ([]byte, error) {
	f, err := elf.Open(obj)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(".data")
	if s == nil {
		return nil, nil
	}
	return s.Data()
}

func firstLines(b []byte, n int) string {
	lines := strings.Split(string(b), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
