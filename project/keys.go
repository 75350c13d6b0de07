package project

import (
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pyinc/pyinc/internal/editdist"
)

// unknownKeys refuses a key of [project] or [tool.pyinc] (or of a table
// inside them) that pyinc does not know: a typo such as requires_python
// would otherwise be dropped without a word. The message names the
// nearest known key. Other tools' tables are theirs.
func unknownKeys(path string, undecoded []toml.Key) error {
	for _, k := range undecoded {
		ours := len(k) >= 2 && k[0] == "project" || len(k) >= 3 && k[0] == "tool" && k[1] == "pyinc"
		if !ours {
			continue
		}
		table, key := k[:len(k)-1], k[len(k)-1]
		if len(table) == 1 && table[0] == "project" && standardUnsupported[key] {
			return errorf("%s: [project] %s is a standard key pyinc does not support (an extension module has no entry points to install): remove it", path, key)
		}
		known := knownKeys(table)
		if known == nil {
			continue // inside a value pyinc reads whole (a map of strings)
		}
		return errorf("%s: unknown key %q in [%s]%s", path, key, strings.Join(table, "."), nearestHint(key, known))
	}
	return nil
}

// standardUnsupported are keys the pyproject.toml specification defines
// for [project] that pyinc does not write into the metadata.
var standardUnsupported = map[string]bool{"scripts": true, "gui-scripts": true, "entry-points": true,
	"import-names": true, "import-namespaces": true}

// tableKeys refuses a key of a table pyinc reads by hand (readme,
// license) that is not one of known.
func tableKeys(path, table string, m map[string]any, known ...string) error {
	for k := range m {
		if !contains(known, k) {
			return errorf("%s: unknown key %q in [project] %s%s", path, k, table, nearestHint(k, known))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nearestHint is "; did you mean K?" for the known key nearest to key,
// else the list of known keys.
func nearestHint(key string, known []string) string {
	best, bestDist := "", 4
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	for _, k := range known {
		d := editdist.Levenshtein(norm(key), norm(k))
		if strings.HasPrefix(norm(key), norm(k)) || strings.HasPrefix(norm(k), norm(key)) {
			d = min(d, 2)
		}
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return "; did you mean " + best + "?"
	}
	return ": the keys it takes are " + strings.Join(known, ", ")
}

// knownKeys lists the toml keys of the struct the key path table leads to
// in pyproject, or nil when it leads to no struct.
func knownKeys(table toml.Key) []string {
	t := reflect.TypeOf(pyproject{})
	for _, name := range table {
		t = elem(t)
		if t.Kind() != reflect.Struct {
			return nil
		}
		f, ok := fieldByTag(t, name)
		if !ok {
			return nil
		}
		t = f.Type
	}
	t = elem(t)
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("toml"); tag != "" {
			keys = append(keys, tag)
		}
	}
	sort.Strings(keys)
	return keys
}

func elem(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("toml") == tag {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}
