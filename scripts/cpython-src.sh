#!/usr/bin/env bash
# Fetches (or reuses) CPython's upstream source from Debian's source
# packages into .cache/src/Python-X.Y.Z, for the Windows configuration
# header (PC/pyconfig.h, PC/pyconfig.h.in) and the interpreters built from
# source (free-threaded, trace-refs). A private apt configuration under
# .cache/apt-src reads deb-src lines for the suites named below from the
# machine's own mirror, and leaves the system's apt as it is.
#
# A suite's index may name a newer upload than its pool serves, so every
# version the index lists is tried, newest first, until one downloads.
# The outcome goes to .cache/cpython-src.status, which the tests quote when
# they skip. It never fails the build.
set -u
cd "$(dirname "$0")/.."
. scripts/mirror.sh
cache=$PWD/.cache
apt=$cache/apt-src
src=$cache/src
status=$cache/cpython-src.status
# package:suite pairs; a package found in several suites takes the first.
wanted="python3.13:sid python3.11:bookworm"
mkdir -p "$src"

say() { echo "cpython-src: $*" >&2; }

# have PKG: the source of PKG was unpacked before (its marker names the dir).
have() { [ -f "$src/$1.dir" ] && [ -d "$src/$(cat "$src/$1.dir")/Include" ]; }

all_have() {
	local p
	for p in $wanted; do have "${p%%:*}" || return 1; done
}

if all_have; then
	echo "ok: reusing $(for p in $wanted; do printf '%s ' "$(cat "$src/${p%%:*}.dir")"; done)" >"$status"
	exit 0
fi

if ! mirror=$(debian_mirror); then
	echo "failed: no Debian mirror in the machine's apt configuration" | tee "$status" >&2
	exit 0
fi
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
: >"$apt/sources.list"
for p in $wanted; do
	line="deb-src $mirror ${p#*:} main"
	grep -qxF "$line" "$apt/sources.list" || echo "$line" >>"$apt/sources.list"
done
A=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Acquire::Check-Valid-Until=false
	-o APT::Sandbox::User=root)
if ! apt-get "${A[@]}" update -qq >"$apt/update.log" 2>&1; then
	echo "failed: apt-get update of the deb-src lines (see $apt/update.log: $(tail -n 1 "$apt/update.log"))" | tee "$status" >&2
	exit 0
fi

# fetch PKG: download the first version of PKG whose files the pool
# serves, and unpack its upstream tarball into $src.
fetch() {
	local pkg=$1 v orig dir
	for v in $(apt-cache "${A[@]}" showsrc "$pkg" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -rV | uniq); do
		rm -f "$apt/dl/${pkg}_"*
		if (cd "$apt/dl" && apt-get "${A[@]}" source --download-only -qq "$pkg=$v" >"$apt/$pkg.log" 2>&1); then
			orig=$(ls "$apt/dl/${pkg}_"*.orig.tar.* 2>/dev/null | head -n 1)
			[ -n "$orig" ] || continue
			dir=$(tar -tf "$orig" | head -n 1 | cut -d/ -f1)
			case "$dir" in Python-[0-9]*) ;; *) say "$orig does not hold a Python-X.Y.Z directory"; continue ;; esac
			rm -rf "${src:?}/$dir"
			tar -xf "$orig" -C "$src" || continue
			echo "$dir" >"$src/$pkg.dir"
			rm -f "$apt/dl/${pkg}_"*
			say "$pkg $v: $src/$dir"
			return 0
		fi
		say "$pkg $v: the pool does not serve it; trying an older version"
	done
	return 1
}

failed=""
for p in $wanted; do
	pkg=${p%%:*}
	have "$pkg" || fetch "$pkg" || failed="$failed $pkg"
done
if [ -n "$failed" ]; then
	echo "failed: apt-get source could not fetch$failed from $mirror (see $apt/*.log)" | tee "$status" >&2
else
	echo "ok: $(for p in $wanted; do printf '%s ' "$(cat "$src/${p%%:*}.dir")"; done)" | tee "$status" >&2
fi
exit 0
