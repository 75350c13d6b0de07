package emit

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Include is what an include says about an ABI, read back from its text
// by Read: what the diff compares and the gcc cross-check assembles.
type Include struct {
	Python    string // "CPython 3.12.1"
	Config    string
	Target    string // the "Target ABI" line: "x86-64 System V (LP64, ELF)"
	Structs   []*StructInfo
	Constants map[string]string // name -> value as written
	Externs   map[string]string // name -> C prototype
	// Names is every name the include defines (STRUC names and their
	// _size, members, equ, %define, %macro, EXTERN), without NASM's $.
	Names map[string]bool
}

// StructInfo is one STRUC with its members, alternatives and bitfields.
type StructInfo struct {
	Name    string
	CName   string
	Union   bool
	Size    int64
	Members []MemberInfo
}

// MemberInfo is one named member.
type MemberInfo struct {
	Path     string
	CType    string
	Offset   int64
	Size     int64 // -1 for bitfields
	Alt      bool  // written as Outer.member equ: overlaps another member
	Bitfield bool
	Width    int // bitfields
	Shift    int
	Unit     int // bitfields: bytes of the storage unit at Offset
}

var resUnit = map[string]int64{"resb": 1, "resw": 2, "resd": 4, "resq": 8, "rest": 10, "reso": 16, "resy": 32, "resz": 64}

// IsInclude says whether text is an include pyinc wrote, from its first
// line.
func IsInclude(text string) bool {
	first, _, _ := strings.Cut(text, "\n")
	return headerRE.MatchString(first)
}

// Read reads an include pyinc wrote.
func Read(text string) (*Include, error) {
	s := &Include{Constants: map[string]string{}, Externs: map[string]string{}, Names: map[string]bool{}}
	byName := map[string]*StructInfo{}
	var cur, last *StructInfo
	var head *StructInfo
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		addNames(s.Names, line, cur)
		switch {
		case headerRE.MatchString(line):
			s.Python = headerRE.FindStringSubmatch(line)[1]
		case strings.HasPrefix(line, "; Build configuration: "):
			s.Config = strings.TrimPrefix(line, "; Build configuration: ")
		case strings.HasPrefix(line, "; Target ABI: "):
			s.Target = strings.TrimPrefix(line, "; Target ABI: ")
		case strings.HasPrefix(line, "; Constants:"):
			section = "constants"
		case strings.HasPrefix(line, "; Structs and unions"):
			section = "structs"
		case strings.HasPrefix(line, "; Helper macros"):
			section = "helpers"
		}
		if m := structHeadRE.FindStringSubmatch(line); m != nil {
			size, _ := strconv.ParseInt(m[4], 10, 64)
			cname := m[2]
			if m[3] != "" {
				cname = m[1] + " " + cname
			}
			head = &StructInfo{CName: cname, Union: m[1] == "union", Size: size}
			continue
		}
		if m := strucRE.FindStringSubmatch(line); m != nil {
			if head == nil {
				return nil, fmt.Errorf("line %d: STRUC without its size comment", n)
			}
			cur, head = head, nil
			cur.Name = m[1]
			continue
		}
		if cur != nil {
			if line == "ENDSTRUC" {
				s.Structs = append(s.Structs, cur)
				byName[cur.Name] = cur
				last, cur = cur, nil
				continue
			}
			m := memberRE.FindStringSubmatch(line)
			if m == nil {
				continue // padding and bitfield storage
			}
			off, _ := strconv.ParseInt(m[4], 10, 64)
			size, err := width(m[2], byName)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			cur.Members = append(cur.Members, MemberInfo{Path: m[1], CType: strings.TrimSuffix(m[3], " (flexible array)"), Offset: off, Size: size})
			continue
		}
		if m := equRE.FindStringSubmatch(line); m != nil && last != nil && m[1] == last.Name {
			off, _ := strconv.ParseInt(m[3], 10, 64)
			mi := MemberInfo{Path: m[2], CType: m[4], Offset: off, Alt: true}
			mi.Size, _ = strconv.ParseInt(m[6], 10, 64)
			if m[7] != "" {
				mi.Alt, mi.Bitfield, mi.Size = false, true, -1
				mi.Width, _ = strconv.Atoi(m[7])
			}
			last.Members = append(last.Members, mi)
			continue
		}
		if m := bitRE.FindStringSubmatch(line); m != nil && last != nil && m[1] == last.Name {
			for i := range last.Members {
				if mi := &last.Members[i]; mi.Path == m[2] && mi.Bitfield {
					v, _ := strconv.Atoi(m[4])
					if m[3] == "SHIFT" {
						mi.Shift = v
					} else {
						mi.Unit = v
					}
				}
			}
			continue
		}
		if section == "constants" {
			if m := defineRE.FindStringSubmatch(line); m != nil {
				s.Constants[m[1]] = m[2]
			}
			continue
		}
		if m := externRE.FindStringSubmatch(line); m != nil {
			s.Externs[m[1]] = m[2]
		}
	}
	if s.Python == "" {
		return nil, fmt.Errorf("not an include written by pyinc (no header line)")
	}
	return s, nil
}

// addNames adds what line defines: a STRUC defines its name and NAME_size,
// a member line inside it (cur) STRUC.member.
func addNames(names map[string]bool, line string, cur *StructInfo) {
	if m := nameRE.FindStringSubmatch(line); m != nil {
		n := m[1] + m[2]
		names[n] = true
		if strings.HasPrefix(line, "STRUC ") {
			names[n+"_size"] = true
		}
		return
	}
	if cur != nil {
		if m := memberRE.FindStringSubmatch(line); m != nil {
			names[cur.Name+"."+m[1]] = true
		}
	}
}

// width is the number of bytes a STRUC line reserves.
func width(data string, sizes map[string]*StructInfo) (int64, error) {
	if data == "" {
		return 0, nil
	}
	m := resRE.FindStringSubmatch(data)
	if m == nil {
		return 0, fmt.Errorf("cannot read %q", data)
	}
	expr, count := m[2], int64(1)
	if a, b, ok := strings.Cut(expr, "*"); ok {
		c, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cannot read %q", data)
		}
		expr, count = a, c
	}
	if name, ok := strings.CutSuffix(expr, "_size"); ok {
		s := sizes[strings.TrimPrefix(name, "$")]
		if s == nil {
			return 0, fmt.Errorf("%s before its STRUC", expr)
		}
		return s.Size * count * resUnit[m[1]], nil
	}
	v, err := strconv.ParseInt(expr, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cannot read %q", data)
	}
	return v * count * resUnit[m[1]], nil
}
