#!/usr/bin/env bash
# Regenerates the committed includes in snapshots/ from the Pythons on this
# machine: python3.X.inc for each release build (the first pyinc list shows
# for that version), python3.X-debug.inc for a Py_DEBUG build. A snapshot
# whose Python is missing is left untouched, and said so.
set -euo pipefail
pyinc=${1:-pyinc}
here=$(cd "$(dirname "$0")" && pwd)
declare -A done=()
while IFS=$'\t' read -r ver interp incdir lib suffix build; do
	mm=${ver%.*}
	name="python$mm"
	case ",$build," in *,Py_DEBUG,*) name="$name-debug";; esac
	[ -n "${done[$name]:-}" ] && continue
	done[$name]=1
	src=$interp
	args=(--python "$interp")
	if [ "$interp" = "-" ]; then args=(--include-dir "$incdir"); src=$incdir; fi
	"$pyinc" gen -q "${args[@]}" -o "$here/$name.inc"
	echo "regen-inc: snapshots/$name.inc from $src"
done < <("$pyinc" list --porcelain)
for f in "$here"/*.inc; do
	[ -e "$f" ] || continue
	n=$(basename "$f" .inc)
	[ -n "${done[$n]:-}" ] || echo "regen-inc: snapshots/$n.inc left as it is: its Python is not installed here"
done
