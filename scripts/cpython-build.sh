#!/usr/bin/env bash
# Builds (or reuses) CPython interpreters of the configurations Debian does
# not ship, from the source cpython-src.sh unpacked into .cache/src, so the
# tests run modules on them like on any other Python:
#   3.13t      3.13 free-threaded (--disable-gil), python3.13t
#   3.13td     3.13 free-threaded debug (--disable-gil --with-pydebug), python3.13td
#   3.11-trace 3.11 with Py_TRACE_REFS (--with-trace-refs), python3.11
# Each goes to its own prefix, .cache/cpython/<name>, with an rpath to its
# own libpython; the build directory is removed once installed. pyinc finds
# them through PYINC_PYTHON_PATH, which the tests and the Makefile set from
# .cache/cpython/*/bin (never a path in pyinc itself).
#
# The outcome goes to .cache/cpython-build.status, one line per build, which
# the tests quote when they skip. It never fails the build.
set -u
cd "$(dirname "$0")/.."
cache=$(cd .cache 2>/dev/null && pwd -P) || { mkdir -p .cache && cache=$(cd .cache && pwd -P); }
src=$cache/src
out=$cache/cpython
status=$cache/cpython-build.status
jobs=${CPYTHON_JOBS:-2}
mkdir -p "$out"

# name:package:configure flags (package names the .dir marker of cpython-src.sh).
builds="3.13t:python3.13:--disable-gil 3.13td:python3.13:--disable-gil,--with-pydebug 3.11-trace:python3.11:--with-trace-refs"

say() { echo "cpython-build: $*" >&2; }

# built NAME: the prefix holds an interpreter that runs and has pip.
built() {
	local py
	py=$(ls "$out/$1/bin"/python3.[0-9]* 2>/dev/null | grep -E '/python3\.[0-9]+[a-z]*$' | tail -n 1)
	[ -n "$py" ] && [ -f "$out/$1/.done" ] && "$py" -c 'import ensurepip' >/dev/null 2>&1
}

# build NAME PKG FLAGS: configure, make and altinstall into $out/NAME.
build() {
	local name=$1 pkg=$2 flags=${3//,/ } dir prefix bdir log
	[ -f "$src/$pkg.dir" ] || { echo "$name: failed: no source of $pkg in $src (cpython-src.sh: $(cat "$cache/cpython-src.status" 2>/dev/null))"; return 1; }
	dir=$src/$(cat "$src/$pkg.dir")
	prefix=$out/$name
	bdir=$cache/cpython-build/$name
	log=$cache/cpython-build/$name.log
	rm -rf "$prefix" "$bdir"
	mkdir -p "$bdir"
	say "building $name ($flags) from $dir, log in $log"
	# shellcheck disable=SC2086 # flags are words
	if ! (cd "$bdir" && "$dir/configure" --prefix="$prefix" --enable-shared --disable-test-modules \
		--without-ensurepip $flags LDFLAGS="-Wl,-rpath,$prefix/lib" &&
		make -j"$jobs" && make altinstall) >"$log" 2>&1; then
		echo "$name: failed: the build stopped (see $log: $(tail -n 1 "$log"))"
		return 1
	fi
	# A free-threaded build installs python3.Xt (or python3.Xtd) and
	# python3.X, one file: keep the name that says what it is.
	local t base py
	for t in "$prefix/bin"/python3.[0-9]*; do
		case "$t" in
		*t | *td)
			base=${t%td}
			base=${base%t}
			[ "$base" != "$t" ] && rm -f "$base"
			;;
		esac
	done
	py=$(ls "$prefix/bin"/python3.[0-9]* | grep -E '/python3\.[0-9]+[a-z]*$' | tail -n 1)
	# ensurepip installs pip from the wheel the source carries (offline).
	if ! "$py" -m ensurepip --altinstall >>"$log" 2>&1; then
		echo "$name: failed: ensurepip (see $log)"
		return 1
	fi
	rm -rf "$bdir"
	touch "$prefix/.done"
	echo "$name: ok: built $py"
}

# One build at a time: every worktree shares .cache.
exec 9>"$cache/cpython-build.lock"
flock 9
lines=""
for b in $builds; do
	IFS=: read -r name pkg flags <<<"$b"
	if built "$name"; then
		line="$name: ok: reusing $out/$name"
	else
		line=$(build "$name" "$pkg" "$flags")
	fi
	say "$line"
	lines="$lines$line"$'\n'
done
printf '%s' "$lines" >"$status"
exit 0
