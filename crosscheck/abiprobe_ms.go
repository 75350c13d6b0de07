package crosscheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pyinc/pyinc/target"
)

// The location probe for the Microsoft x64 convention: the same C probe,
// compiled by the target's compiler (mingw gcc) and run under Wine, with
// stubs that keep the four argument registers, the vector registers, the
// stack pointer and the stack above it. An argument passed by reference
// is found through its register (or stack slot): the caller's copy lives
// in the caller's frame, which the stub records. Stack arguments are
// checked at their exact slot: 8 bytes per position above the return
// address and the 32 bytes of shadow space.

const msStackBytes = 4096

// probeStubsMS: pyinc_dump stores rcx, rdx, r8, r9 and its entry rsp,
// the FXSAVE image and the stack from its return address up, and
// returns its rcx (the address of a result in memory). pyinc_result
// calls fn(void) with rcx pointing at buf and stores rax, rdx and the
// FXSAVE image of what comes back.
const probeStubsMS = `
#include <io.h>
#include <fcntl.h>
__asm__(
"	.text\n"
"	.globl pyinc_dump\n"
"pyinc_dump:\n"
"	movq %rcx, pyinc_regs(%rip)\n"
"	movq %rdx, pyinc_regs+8(%rip)\n"
"	movq %r8, pyinc_regs+16(%rip)\n"
"	movq %r9, pyinc_regs+24(%rip)\n"
"	movq %rsp, pyinc_regs+32(%rip)\n"
"	fxsave pyinc_fx(%rip)\n"
"	pushq %rsi\n"
"	pushq %rdi\n"
"	leaq 16(%rsp), %rsi\n"
"	leaq pyinc_stack(%rip), %rdi\n"
"	movl $STACKQ, %ecx\n"
"	rep movsq\n"
"	popq %rdi\n"
"	popq %rsi\n"
"	movq pyinc_regs(%rip), %rax\n"
"	ret\n"
"	.globl pyinc_result\n"
"pyinc_result:\n"
"	pushq %rbx\n"
"	subq $32, %rsp\n"
"	movq %rcx, %rbx\n"
"	movq %rdx, %rcx\n"
"	callq *%rbx\n"
"	movq %rax, pyinc_rregs(%rip)\n"
"	movq %rdx, pyinc_rregs+8(%rip)\n"
"	fxsave pyinc_rfx(%rip)\n"
"	addq $32, %rsp\n"
"	popq %rbx\n"
"	ret\n"
);
` + probeBuffers + `static void ldfix(void *p) { (void)p; }
`

// wineRun runs a Windows program under Wine with stdin, stdout and stderr
// as pipes, in the Wine prefix the tests share.
func wineRun(exe string) ([]byte, error) {
	// The first run may make the prefix (about 25 s): one at a time until
	// a run has worked, so that parallel tests do not make it twice.
	wineFirst.Lock()
	if !wineReady {
		defer wineFirst.Unlock()
		out, err := wineExec(exe)
		wineReady = err == nil
		return out, err
	}
	wineFirst.Unlock()
	return wineExec(exe)
}

var (
	wineFirst sync.Mutex
	wineReady bool
)

func wineExec(exe string) ([]byte, error) {
	cmd := exec.Command("wine", exe)
	cmd.Env = append(os.Environ(), "WINEDEBUG=-all", "WINEPREFIX="+winePrefix())
	cmd.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%v: %s", err, firstLines(stderr.Bytes(), 5))
	}
	return out, nil
}

// winePrefix is $PYINC_WINEPREFIX, else the prefix make pythons caches
// under .cache/wine (Wine makes it on first use, in about 25 s).
func winePrefix() string {
	if p := os.Getenv("PYINC_WINEPREFIX"); p != "" {
		return p
	}
	p, _ := filepath.Abs(filepath.Join("..", ".cache", "wine", "prefix"))
	return p
}

// CheckLocationsMS is CheckLocations for the Microsoft x64 convention of
// tg, against tg's compiler, the probe running under Wine.
func CheckLocationsMS(tg target.Target, funcs []*Proto, incDir string, include []byte, dir string, salt int64) (ABICounts, []string, error) {
	return CheckLocationsMSWith(tg, "", funcs, []string{incDir}, include, dir, salt)
}

// CheckLocationsMSWith is CheckLocationsMS for functions of headers the C
// text prelude includes first (with its configuration macros), found in
// incDirs.
func CheckLocationsMSWith(tg target.Target, prelude string, funcs []*Proto, incDirs []string, include []byte, dir string, salt int64) (ABICounts, []string, error) {
	var n ABICounts
	src, exe := filepath.Join(dir, "loc.c"), filepath.Join(dir, "loc.exe")
	prog := prelude + locProgramWith(funcs, salt, probeStubsMS, msStackBytes, "_setmode(_fileno(stdout), _O_BINARY); ")
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		return n, nil, err
	}
	args := append([]string{"-O1", "-w", "-o", exe, src}, tg.CrossCFlags...)
	for _, d := range incDirs {
		args = append(args, "-I", d)
	}
	if out, err := exec.Command(tg.CrossCC, args...).CombinedOutput(); err != nil {
		return n, nil, fmt.Errorf("%s: %v\n%s", tg.CrossCC, err, firstLines(out, 20))
	}
	raw, err := wineRun(exe)
	if err != nil {
		return n, nil, fmt.Errorf("running the location probe under Wine: %v", err)
	}
	return checkAll(funcs, readClaimsMS(include), raw, checkFuncMS)
}

const variadicNoteMS = ", ... (a float or double also in the integer register of its position)"

func readClaimsMS(include []byte) map[string]claim {
	out := map[string]claim{}
	for _, m := range externLocRE.FindAllStringSubmatch(string(include), -1) {
		c := claim{ret: m[3]}
		args := m[2]
		if strings.HasSuffix(args, variadicNoteMS) {
			c.variadic, args = true, strings.TrimSuffix(args, variadicNoteMS)
		}
		if args != "none" {
			c.args = strings.Split(args, ", ")
		}
		out[strings.TrimPrefix(m[1], "__imp_")] = c
	}
	return out
}

// msFrame is what the stub recorded at one call.
type msFrame struct {
	regs, fx, stack []byte
	rsp             uint64
}

func (fr msFrame) reg(name string) []byte {
	for i, r := range []string{"rcx", "rdx", "r8", "r9"} {
		if r == name {
			return fr.regs[8*i : 8*i+8]
		}
	}
	return vecReg(fr.fx, name)
}

// deref is the memory at address addr, if the stub recorded it.
func (fr msFrame) deref(addr []byte, n int) []byte {
	if n == 0 {
		return []byte{} // an empty value: gcc may pass any address
	}
	a := binary.LittleEndian.Uint64(addr)
	if a < fr.rsp || a-fr.rsp+uint64(n) > uint64(len(fr.stack)) {
		return nil
	}
	return fr.stack[a-fr.rsp : a-fr.rsp+uint64(n)]
}

// slot is the stack argument at position pos (0-based; 4 and on).
func (fr msFrame) slot(pos int) []byte {
	off := 8 + 8*pos // the return address, then 8 bytes per position (the first 4: shadow space)
	if off+8 > len(fr.stack) {
		return nil
	}
	return fr.stack[off : off+8]
}

// checkFuncMS reads one function's records and checks the claim c.
func checkFuncMS(f *Proto, c claim, have bool, rd *records, n *ABICounts) []string {
	var bad []string
	vals := make([]value, len(f.Params))
	for i := range f.Params {
		vals[i] = value{rd.next(), rd.next()}
		rd.next() // the argument's sizeof and _Alignof, which the System V check reads
	}
	fr := msFrame{regs: rd.next(), fx: rd.next(), stack: rd.next()}
	if len(fr.regs) >= 40 {
		fr.rsp = binary.LittleEndian.Uint64(fr.regs[32:])
	}
	if have && len(c.args) != len(f.Params) {
		bad = append(bad, fmt.Sprintf("%s: the comment places %d arguments, the prototype has %d", f.Name, len(c.args), len(f.Params)))
		have = false
	}
	hidden := 0
	if have && strings.HasPrefix(c.ret, "rax (address of the result") {
		hidden = 1
	}
	pos := hidden
	for i, p := range f.Params {
		n.Args++
		if !have {
			continue
		}
		if e := checkArgMS(vals[i], c.args[i], pos, fr); e != "" {
			bad = append(bad, fmt.Sprintf("%s: argument %d (%s): pyinc says %s, %s", f.Name, i+1, p.name, c.args[i], e))
		}
		// An empty argument takes no position: if pyinc calls one empty
		// that gcc passes, the data check fails, or every later
		// argument is found one position off.
		if c.args[i] != "nothing (empty)" {
			pos++
		}
	}
	if have && f.Variadic != c.variadic {
		bad = append(bad, fmt.Sprintf("%s: variadic is %v, the comment says %v", f.Name, f.Variadic, c.variadic))
	}
	if f.Ret == nil {
		if have && c.ret != "none" {
			bad = append(bad, fmt.Sprintf("%s: void, but pyinc says it returns %s", f.Name, c.ret))
		}
		return bad
	}
	n.Results++
	v := value{rd.next(), rd.next()}
	addr, rregs, rfx, buf := rd.next(), rd.next(), rd.next(), rd.next()
	if !have {
		return bad
	}
	var e string
	switch {
	case c.ret == "rax (address of the result, passed in rcx)":
		if !bytes.Equal(rregs[:8], addr) {
			e = "but rax does not hold the address passed in rcx"
		} else if !matches(v, buf, 0, 0) {
			e = "but the result is not in the memory rcx points at"
		}
	case c.ret == "rax":
		e = checkValue(v, "rax", func(string) []byte { return rregs[:8] }, nil)
	case c.ret == "xmm0" && len(v.img) == 16: // a 16-byte integer, whole
		if !matches(v, vecRegWide(rfx, "xmm0"), 0, 0) {
			e = "but xmm0 does not hold it"
		}
	default:
		e = checkValue(v, c.ret, func(r string) []byte { return vecRegWide(rfx, r) }, nil)
	}
	if e != "" {
		bad = append(bad, fmt.Sprintf("%s: result (%s): pyinc says %s, %s", f.Name, f.Ret.name, c.ret, e))
	}
	return bad
}

// vecRegWide reads all 16 bytes of xmm0-7 from an FXSAVE image: a 16-byte
// integer comes back whole in xmm0.
func vecRegWide(fx []byte, name string) []byte {
	var i int
	if _, err := fmt.Sscanf(name, "xmm%d", &i); err == nil && i >= 0 && i < 8 && len(fx) >= 512 {
		return fx[160+16*i : 160+16*i+16]
	}
	return nil
}

// checkArgMS checks one argument at position pos against where.
func checkArgMS(v value, where string, pos int, fr msFrame) string {
	size := len(v.img)
	switch {
	case where == "stack":
		s := fr.slot(pos)
		if s == nil || !matches(v, s, 0, 8) || size > 8 {
			return fmt.Sprintf("but stack slot %d does not hold it", pos)
		}
		return ""
	case where == "stack (address of a copy)":
		s := fr.slot(pos)
		if s == nil {
			return "but the probe did not record that slot"
		}
		if m := fr.deref(s, size); m == nil || !matches(v, m, 0, 0) {
			return fmt.Sprintf("but stack slot %d does not point at a copy of it", pos)
		}
		return ""
	case strings.HasSuffix(where, " (address of a copy)"):
		r := strings.TrimSuffix(where, " (address of a copy)")
		if want := msRegAt(pos, false); r != want {
			return fmt.Sprintf("but position %d is %s", pos, want)
		}
		if m := fr.deref(fr.reg(r), size); m == nil || !matches(v, m, 0, 0) {
			return fmt.Sprintf("but %s does not point at a copy of it", r)
		}
		return ""
	}
	if strings.HasPrefix(where, "xmm") {
		if want := msRegAt(pos, true); where != want {
			return fmt.Sprintf("but position %d is %s", pos, want)
		}
	} else if want := msRegAt(pos, false); where != want && where != "nothing (empty)" {
		return fmt.Sprintf("but position %d is %s", pos, want)
	}
	return checkValue(v, where, fr.reg, nil)
}

func msRegAt(pos int, sse bool) string {
	if pos > 3 {
		return "stack"
	}
	if sse {
		return fmt.Sprintf("xmm%d", pos)
	}
	return []string{"rcx", "rdx", "r8", "r9"}[pos]
}
