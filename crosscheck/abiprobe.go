package crosscheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The location probe holds the EXTERN comments to what gcc's code does.
// For every function it compiles, with gcc, a call with the function's own
// prototype to a stub that records every argument register, the vector
// and x87 registers and the stack; and a function returning a value of
// the result type, called by a stub that records what comes back. Each
// argument and result holds random bytes, so where they went is plain;
// the comment must name exactly the registers holding each eightbyte of
// data, or "stack" when the bytes are on the stack.

// stackBytes is how much of the stack above the return address the stub
// records: the outgoing arguments of the largest call the fuzzer makes.
const stackBytes = 1024

// probeStubs are the two stubs, in gas syntax. pyinc_dump stores the
// argument registers (and al), the FXSAVE image (xmm0-7, st0-7) and the
// stack arguments, and returns its rdi in rax as a function returning in
// memory must. pyinc_result calls fn(void) with rdi pointing at buf and
// stores rax, rdx and the FXSAVE image of what comes back.
// probeBuffers are the probe's records and helpers, the same for every
// calling convention's stubs.
const probeBuffers = `unsigned long long pyinc_regs[7], pyinc_rregs[2];
unsigned char pyinc_fx[512] __attribute__((aligned(16))), pyinc_rfx[512] __attribute__((aligned(16)));
unsigned char pyinc_stack[STACKB], pyinc_buf[256] __attribute__((aligned(64)));
extern void pyinc_dump(void);
extern void pyinc_result(void *fn, void *buf);
static void out(const void *p, unsigned long long n) { fwrite(&n, 8, 1, stdout); fwrite(p, n, 1, stdout); }
static void fill(void *p, size_t n, unsigned long long x) {
	unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		b[i] = (x & 0xff) ? (x & 0xff) : 0x5a;
	}
}
`

const probeStubs = `
__asm__(
"	.text\n"
"	.globl pyinc_dump\n"
"pyinc_dump:\n"
"	movq %rdi, pyinc_regs(%rip)\n"
"	movq %rsi, pyinc_regs+8(%rip)\n"
"	movq %rdx, pyinc_regs+16(%rip)\n"
"	movq %rcx, pyinc_regs+24(%rip)\n"
"	movq %r8, pyinc_regs+32(%rip)\n"
"	movq %r9, pyinc_regs+40(%rip)\n"
"	movq %rax, pyinc_regs+48(%rip)\n"
"	fxsave pyinc_fx(%rip)\n"
"	leaq 8(%rsp), %rsi\n"
"	leaq pyinc_stack(%rip), %rdi\n"
"	movl $` + "STACKQ" + `, %ecx\n"
"	rep movsq\n"
"	movq pyinc_regs(%rip), %rax\n"
"	ret\n"
"	.globl pyinc_result\n"
"pyinc_result:\n"
"	pushq %rbx\n"
"	movq %rdi, %rbx\n"
"	movq %rsi, %rdi\n"
"	callq *%rbx\n"
"	movq %rax, pyinc_rregs(%rip)\n"
"	movq %rdx, pyinc_rregs+8(%rip)\n"
"	fxsave pyinc_rfx(%rip)\n"
"	fninit\n"
"	popq %rbx\n"
"	ret\n"
);
` + probeBuffers + `/* A valid x87 number: explicit integer bit set, an exponent well inside range. */
static void ldfix(void *p) { unsigned char *b = p; b[7] |= 0x80; b[9] = 0x40; }
`

// ABICounts says how much the location probe checked.
type ABICounts struct {
	Functions, Args, Results int
}

// locProgram writes the C probe for funcs; salt varies the random bytes.
func locProgram(funcs []*Proto, salt int64) string {
	return locProgramWith(funcs, salt, probeStubs, stackBytes, "")
}

// locProgramWith is locProgram with the stubs of a calling convention,
// the stack bytes they record, and a statement main runs first.
func locProgramWith(funcs []*Proto, salt int64, stubText string, stackB int, first string) string {
	var b strings.Builder
	b.WriteString("#include <Python.h>\n#include <stdio.h>\n#include <string.h>\n")
	stubs := strings.ReplaceAll(stubText, "STACKQ", fmt.Sprint(stackB/8))
	b.WriteString(strings.ReplaceAll(stubs, "STACKB", fmt.Sprint(stackB)))
	value := func(t *cType, v string, seed int64) {
		fmt.Fprintf(&b, "\t{ %s m; memset(&m, 0, sizeof m);", t.name)
		var ls []leafRef
		t.leaves("m", &ls)
		for _, l := range ls {
			b.WriteString(" " + l.maskC())
		}
		fmt.Fprintf(&b, " out(&m, sizeof m); }\n\tfill(&%s, sizeof %s, %dULL);", v, v, seed)
		ls = ls[:0]
		t.leaves(v, &ls)
		for _, l := range ls {
			if c := l.fixC(); c != "" {
				b.WriteString(" " + c)
			}
		}
		fmt.Fprintf(&b, " out(&%s, sizeof %s);\n", v, v)
	}
	for k, f := range funcs {
		var args []string
		for i, p := range f.Params {
			fmt.Fprintf(&b, "static %s a%d_%d;\n", p.name, k, i)
			args = append(args, fmt.Sprintf("a%d_%d", k, i))
		}
		if f.Ret != nil {
			fmt.Fprintf(&b, "%s r%d;\n%s rf%d(void) { return r%d; }\n", f.Ret.name, k, f.Ret.name, k, k)
		}
		fmt.Fprintf(&b, "static void probe%d(void) {\n", k)
		for i, p := range f.Params {
			value(p, args[i], salt*7919+int64(k)*64+int64(i)+1)
			fmt.Fprintf(&b, "\t{ unsigned long long sa[2] = { sizeof(%s), _Alignof(%s) }; out(sa, sizeof sa); }\n", p.name, p.name)
		}
		fmt.Fprintf(&b, "\t__typeof__(%s) *fp = (__typeof__(%s) *)(void *)pyinc_dump;\n", f.Name, f.Name)
		fmt.Fprintf(&b, "\t__asm__ volatile(\"fninit\");\n\tfp(%s);\n", strings.Join(args, ", "))
		b.WriteString("\tout(pyinc_regs, sizeof pyinc_regs); out(pyinc_fx, 512); out(pyinc_stack, sizeof pyinc_stack);\n")
		if f.Ret != nil {
			value(f.Ret, fmt.Sprintf("r%d", k), salt*7919+int64(k)*64+63)
			fmt.Fprintf(&b, "\t{ unsigned long long a = (unsigned long long)pyinc_buf; memset(pyinc_buf, 0, sizeof pyinc_buf);\n"+
				"\tpyinc_result((void *)rf%d, pyinc_buf);\n"+
				"\tout(&a, 8); out(pyinc_rregs, 16); out(pyinc_rfx, 512); out(pyinc_buf, sizeof r%d); }\n", k, k)
		}
		b.WriteString("}\n")
	}
	// The stub reads the stack above the call: keep that much of it mapped.
	b.WriteString("static void run(void) {\n\tvolatile char pad[8192]; pad[0] = 0;\n")
	for k := range funcs {
		fmt.Fprintf(&b, "\tprobe%d();\n", k)
	}
	b.WriteString("\tpad[1] = pad[0];\n}\nint main(void) { " + first + "run(); return 0; }\n")
	return b.String()
}

// externLocRE reads an EXTERN line's comment: name, argument locations, result.
var externLocRE = regexp.MustCompile(`(?m)^EXTERN \$?(\S+) ; .* ; args (.*); returns (.*)$`)

const variadicNote = ", ... (al = number of vector registers used)"

// claim is what an EXTERN comment says of one function.
type claim struct {
	args     []string
	variadic bool
	ret      string
}

func readClaims(include []byte) map[string]claim {
	out := map[string]claim{}
	for _, m := range externLocRE.FindAllStringSubmatch(string(include), -1) {
		c := claim{ret: m[3]}
		args := m[2]
		if strings.HasSuffix(args, variadicNote) {
			c.variadic, args = true, strings.TrimSuffix(args, variadicNote)
		}
		if args != "none" {
			c.args = strings.Split(args, ", ")
		}
		out[m[1]] = c
	}
	return out
}

// CheckLocations compiles and runs the location probe for funcs, declared
// in the Python.h of incDir, and compares what gcc's code does with the
// EXTERN comments of include. dir is a scratch directory.
func CheckLocations(funcs []*Proto, incDir string, include []byte, dir string, salt int64) (ABICounts, []string, error) {
	var n ABICounts
	src, exe := filepath.Join(dir, "loc.c"), filepath.Join(dir, "loc")
	if err := os.WriteFile(src, []byte(locProgram(funcs, salt)), 0o644); err != nil {
		return n, nil, err
	}
	if out, err := exec.Command("gcc", "-O1", "-w", "-I", incDir, "-o", exe, src).CombinedOutput(); err != nil {
		return n, nil, fmt.Errorf("gcc: %v\n%s", err, firstLines(out, 20))
	}
	raw, err := exec.Command(exe).Output()
	if err != nil {
		return n, nil, fmt.Errorf("running the location probe: %v", err)
	}
	return checkAll(funcs, readClaims(include), raw, checkFunc)
}

// checkAll holds each function's EXTERN claim to the probe's records of
// it, with check, a calling convention's reading of them.
func checkAll(funcs []*Proto, claims map[string]claim, raw []byte, check func(*Proto, claim, bool, *records, *ABICounts) []string) (ABICounts, []string, error) {
	var n ABICounts
	rd := &records{b: raw}
	var bad []string
	for _, f := range funcs {
		c, ok := claims[f.Name]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: no EXTERN comment", f.Name))
		}
		n.Functions++
		bad = append(bad, check(f, c, ok, rd, &n)...)
	}
	return n, bad, rd.err
}

// records reads the probe's output: length-prefixed blobs.
type records struct {
	b   []byte
	err error
}

func (r *records) next() []byte {
	if r.err != nil || len(r.b) < 8 {
		r.err = fmt.Errorf("the location probe's output ends early")
		return make([]byte, 1024)
	}
	n := binary.LittleEndian.Uint64(r.b)
	if uint64(len(r.b)-8) < n {
		r.err = fmt.Errorf("the location probe's output ends early")
		return make([]byte, 1024)
	}
	v := r.b[8 : 8+n]
	r.b = r.b[8+n:]
	return v
}

// value is one argument or result: its random bytes and which are data.
type value struct{ mask, img []byte }

func anyByte(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return true
		}
	}
	return false
}

// checkFunc reads one function's records and checks the claim c.
func checkFunc(f *Proto, c claim, have bool, rd *records, n *ABICounts) []string {
	var bad []string
	vals := make([]value, len(f.Params))
	sizes := make([]sizeAlign, len(f.Params))
	for i := range f.Params {
		vals[i] = value{rd.next(), rd.next()}
		sizes[i] = readSizeAlign(rd.next())
	}
	regs, fx, stack := rd.next(), rd.next(), rd.next()
	argReg := func(name string) []byte {
		for i, r := range []string{"rdi", "rsi", "rdx", "rcx", "r8", "r9"} {
			if r == name {
				return regs[8*i : 8*i+8]
			}
		}
		return vecReg(fx, name)
	}
	if have && len(c.args) != len(f.Params) {
		bad = append(bad, fmt.Sprintf("%s: the comment places %d arguments, the prototype has %d", f.Name, len(c.args), len(f.Params)))
		have = false
	}
	sse, next := 0, 0 // next: where the next stack argument starts
	for i, p := range f.Params {
		n.Args++
		if !have {
			continue
		}
		var slot []byte
		if c.args[i] == "stack" {
			slot, next = stackSlot(stack, next, sizes[i])
		}
		e := checkValue(vals[i], c.args[i], argReg, slot)
		if e == "" && c.args[i] == "stack" && !anyByte(vals[i].mask) {
			e = "but gcc gives a value holding no data (an empty type) no stack slot"
		}
		if e != "" {
			bad = append(bad, fmt.Sprintf("%s: argument %d (%s): pyinc says %s, %s", f.Name, i+1, p.name, c.args[i], e))
		}
		sse += strings.Count(c.args[i], "xmm")
	}
	if have && f.Variadic != c.variadic {
		bad = append(bad, fmt.Sprintf("%s: variadic is %v, the comment says %v", f.Name, f.Variadic, c.variadic))
	}
	if have && f.Variadic && len(regs) >= 56 && int(regs[48]) != sse {
		bad = append(bad, fmt.Sprintf("%s: gcc sets al to %d, the comment's arguments use %d vector registers", f.Name, regs[48], sse))
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
	resReg := func(name string) []byte {
		switch name {
		case "rax":
			return rregs[:8]
		case "rdx":
			return rregs[8:16]
		}
		return vecReg(rfx, name)
	}
	var e string
	if c.ret == "rax (address of the result, passed in rdi)" {
		switch {
		case !bytes.Equal(rregs[:8], addr):
			e = "but rax does not hold the address passed in rdi"
		case !matches(v, buf, 0, 0):
			e = "but the result is not in the memory rdi points at"
		}
	} else {
		e = checkValue(v, c.ret, resReg, nil)
	}
	if e == "" && c.ret != "none" && !anyByte(v.mask) {
		e = "but gcc returns no value of a type holding no data (an empty type)"
	}
	if e != "" {
		bad = append(bad, fmt.Sprintf("%s: result (%s): pyinc says %s, %s", f.Name, f.Ret.name, c.ret, e))
	}
	return bad
}

// vecReg reads xmm0-7 (8 bytes) or st0-7 (10 bytes) from an FXSAVE image.
func vecReg(fx []byte, name string) []byte {
	var i int
	if _, err := fmt.Sscanf(name, "xmm%d", &i); err == nil && i >= 0 && i < 8 && len(fx) >= 512 {
		return fx[160+16*i : 160+16*i+8]
	}
	if _, err := fmt.Sscanf(name, "st%d", &i); err == nil && i >= 0 && i < 8 && len(fx) >= 512 {
		return fx[32+16*i : 32+16*i+10]
	}
	return nil
}

// checkValue checks that where says where v's data went: "stack" (slot is
// the stack from where the argument's slot starts), "nothing (empty)",
// "none", or registers joined by ":", each holding one eightbyte (x87
// registers: one 16-byte part). It returns what is wrong, or "".
func checkValue(v value, where string, reg func(string) []byte, slot []byte) string {
	switch where {
	case "stack":
		if anyByte(v.mask) && !matches(v, slot, 0, 0) {
			return "but its bytes are not in its stack slot (after those of the earlier stack arguments)"
		}
		return ""
	case "nothing (empty)", "none":
		if anyByte(v.mask) {
			return "but it holds data"
		}
		return ""
	}
	pieces := strings.Split(where, ":")
	width := 8
	if strings.HasPrefix(pieces[0], "st") {
		width = 16
	}
	for e, r := range pieces {
		rb := reg(r)
		if rb == nil {
			return fmt.Sprintf("and %s is not a register the probe reads", r)
		}
		if !matches(v, rb, e*width, len(rb)) {
			return fmt.Sprintf("but %s does not hold bytes %d-%d", r, e*width, e*width+width-1)
		}
	}
	for j, m := range v.mask {
		if m != 0 && j >= len(pieces)*width {
			return fmt.Sprintf("but byte %d is data no register of the comment holds", j)
		}
	}
	return ""
}

// matches reports whether got holds v's data bytes from offset off (for
// n bytes; 0 means all of v).
func matches(v value, got []byte, off, n int) bool {
	end := len(v.img)
	if n > 0 {
		end = min(end, off+n)
	}
	for j := off; j < end; j++ {
		if j-off >= len(got) {
			return false
		}
		if d := (v.img[j] ^ got[j-off]) & v.mask[j]; d != 0 {
			return false
		}
	}
	return true
}

// sizeAlign is what the probe prints of an argument's type: sizeof and
// _Alignof.
type sizeAlign struct{ size, align int }

func readSizeAlign(b []byte) sizeAlign {
	if len(b) < 16 {
		return sizeAlign{}
	}
	return sizeAlign{int(binary.LittleEndian.Uint64(b)), int(binary.LittleEndian.Uint64(b[8:]))}
}

// stackSlot returns the stack from the slot of an argument of type t,
// the next one after those ending at next, and where the slot after it
// starts. Each stack argument starts at a multiple of its alignment and
// of 8 and takes its size rounded up to 8 (psABI 3.2.3; gcc's
// ix86_function_arg_boundary).
func stackSlot(stack []byte, next int, t sizeAlign) ([]byte, int) {
	align := max(t.align, 8)
	at := (next + align - 1) / align * align
	end := at + (t.size+7)/8*8
	if at > len(stack) {
		return nil, end
	}
	return stack[at:], end
}
