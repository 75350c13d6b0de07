package crosscheck

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pyinc/pyinc/cparse"
)

// A target whose programs cannot run here (Windows) is checked without
// running anything: every item becomes a C object with a static
// initializer, which the target's compiler (mingw gcc) lays out in the
// object it writes; the NASM probe is assembled for the target's object
// format. Both objects are read back (PE/COFF) and compared item by item.

var (
	w8RE     = regexp.MustCompile(`^W8\(\(unsigned long long\)\((.*)\)\);$`)
	stringRE = regexp.MustCompile(`^\{ static const char s\[\] = (.*); fwrite\(s, sizeof s, 1, stdout\); \}$`)
)

// staticOf turns an item's C statement into a static definition, for the
// statement forms that have one ("" otherwise: Build sets the rest).
func staticOf(c string) string {
	if m := w8RE.FindStringSubmatch(c); m != nil {
		return "const unsigned long long %[1]s = (unsigned long long)(" + m[1] + ");"
	}
	if m := stringRE.FindStringSubmatch(c); m != nil {
		return "const char %[1]s[] = " + m[1] + ";"
	}
	return ""
}

// firstBit is FIRSTBIT of the C probe: the first set bit of an image and
// the number of bits set, as two 8-byte integers.
func firstBit(img []byte) []byte {
	first, width := int64(-1), int64(0)
	for i := 0; i < len(img)*8; i++ {
		if img[i/8]>>(i%8)&1 != 0 {
			if first < 0 {
				first = int64(i)
			}
			width++
		}
	}
	out := make([]byte, 16)
	binary.LittleEndian.PutUint64(out, uint64(first))
	binary.LittleEndian.PutUint64(out[8:], uint64(width))
	return out
}

// staticProgram defines one object per item, probe_<index>.
func (p *Probe) staticProgram(u *cparse.Unit) (string, error) {
	var b strings.Builder
	b.WriteString(u.CSource())
	b.WriteString("#include <stddef.h>\n#define STR(x) #x\n#define XSTR(x) STR(x)\n")
	for i, it := range p.Items {
		if it.Static == "" {
			return "", fmt.Errorf("%s: no static form", it.What)
		}
		fmt.Fprintf(&b, it.Static+"\n", fmt.Sprintf("probe_%d", i))
	}
	return b.String(), nil
}

// RunStatic is Run for a target whose programs cannot run here.
func (p *Probe) RunStatic(u *cparse.Unit, include []byte, dir string) ([]Mismatch, error) {
	tg := u.Target
	inc := filepath.Join(dir, "python.inc")
	if err := os.WriteFile(inc, include, 0o644); err != nil {
		return nil, err
	}
	src, err := p.staticProgram(u)
	if err != nil {
		return nil, err
	}
	csrc, asrc := filepath.Join(dir, "probe.c"), filepath.Join(dir, "probe.asm")
	if err := os.WriteFile(csrc, []byte(src), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(asrc, []byte(p.nasmProgram("python.inc")), 0o644); err != nil {
		return nil, err
	}
	cobj := filepath.Join(dir, "probe-c.o")
	args := append([]string{"-w", "-c", "-o", cobj}, tg.CrossCFlags...)
	for _, d := range u.IncludeDirs {
		args = append(args, "-I", d)
	}
	for _, d := range u.AfterDirs {
		args = append(args, "-idirafter", d)
	}
	if out, err := exec.Command(tg.CrossCC, append(args, csrc)...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", tg.CrossCC, err, firstLines(out, 20))
	}
	gccOut, err := p.staticBytes(cobj)
	if err != nil {
		return nil, err
	}
	aobj := filepath.Join(dir, "probe.o")
	cmd := exec.Command("nasm", "-f", tg.ObjFormat, "-I", dir+"/", "-o", aobj, asrc)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("nasm: %v\n%s", err, firstLines(out, 20))
	}
	nasmOut, err := coffSection(aobj, ".data")
	if err != nil {
		return nil, err
	}
	var bad []Mismatch
	off := 0
	for i, it := range p.Items {
		if off+it.Size > len(nasmOut) {
			return nil, fmt.Errorf("nasm assembled %d bytes, fewer than the items take", len(nasmOut))
		}
		g, n := gccOut[i], nasmOut[off:off+it.Size]
		if !bytes.Equal(g, n) {
			bad = append(bad, Mismatch{it.What, g, n})
		}
		off += it.Size
	}
	return bad, nil
}

// staticBytes reads each item's bytes from the compiled object.
func (p *Probe) staticBytes(obj string) ([][]byte, error) {
	f, err := pe.Open(obj)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := map[int][]byte{}
	at := map[string][2]int{} // symbol -> section number, value
	for _, s := range f.Symbols {
		if strings.HasPrefix(s.Name, "probe_") && s.SectionNumber > 0 {
			at[s.Name] = [2]int{int(s.SectionNumber), int(s.Value)}
		}
	}
	out := make([][]byte, len(p.Items))
	for i, it := range p.Items {
		loc, ok := at[fmt.Sprintf("probe_%d", i)]
		if !ok {
			return nil, fmt.Errorf("%s: the compiler wrote no probe_%d", it.What, i)
		}
		sec, ok := data[loc[0]]
		if !ok {
			if sec, err = f.Sections[loc[0]-1].Data(); err != nil {
				return nil, err
			}
			data[loc[0]] = sec
		}
		n := it.Raw
		if n == 0 {
			n = it.Size
		}
		b := make([]byte, n) // bytes past the section's end read as 0
		if loc[1] < len(sec) {
			copy(b, sec[loc[1]:])
		}
		if it.Post != nil {
			b = it.Post(b)
		}
		out[i] = b
	}
	return out, nil
}

// coffSection returns the contents of the named section of a COFF object.
func coffSection(obj, name string) ([]byte, error) {
	f, err := pe.Open(obj)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := f.Section(name)
	if s == nil {
		return nil, nil
	}
	return s.Data()
}
