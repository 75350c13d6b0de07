#!/usr/bin/env bash
# Builds (or reuses) a Debian unstable tree in .cache/sid holding CPython
# 3.14 and 3.15 with their -dev and -dbg packages, for the tests of the
# newest Pythons, plus their venv packages and auditwheel for the packaging
# tests (an older tree gets these added). Their interpreters need the tree's newer glibc, so the
# tests run them with chroot; pyinc reads their headers from the tree.
# The outcome goes to .cache/pythons.status, which the tests quote when
# they skip. It never fails the build: without the archive those tests skip.
set -u
cd "$(dirname "$0")/.."
. scripts/mirror.sh
root=$PWD/.cache/sid
status=$PWD/.cache/pythons.status
pkgs="python3.14 python3.14-dev python3.14-dbg python3.15 python3.15-dev python3.15-dbg"
# What the packaging tests use in the tree: venv with ensurepip for each
# Python, and auditwheel show to judge wheels' platform tags.
extra="python3.14-venv python3.15-venv python3-auditwheel"
mkdir -p .cache

have() {
	for v in 3.14 3.15; do
		for f in usr/bin/python$v usr/bin/python${v}d usr/include/python$v/Python.h usr/include/python${v}d/Python.h; do
			[ -e "$root/$f" ] || return 1
		done
	done
	have_extra
}

# have_extra: venv's ensurepip finds pip's wheel, and auditwheel runs.
have_extra() {
	for v in 3.14 3.15; do
		[ -e "$root/usr/lib/python$v/ensurepip/__init__.py" ] || return 1
	done
	ls "$root"/usr/share/python-wheels/pip-*.whl >/dev/null 2>&1 || return 1
	[ -x "$root/usr/bin/auditwheel" ]
}

say() { echo "pythons: $*" | tee "$status" >&2; }

if have; then
	say "ok: reusing $root"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	say "failed: building the tree needs root (debootstrap, chroot); run make pythons as root"
	exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1; } ||
		{ say "failed: debootstrap could not be installed with apt-get"; exit 0; }
fi
if [ ! -x "$root/usr/bin/apt-get" ]; then
	rm -rf "$root"
	if ! mirror=$(debian_mirror); then
		say "failed: no Debian mirror in the machine's apt configuration (/etc/apt/sources.list.d/*.sources or /etc/apt/sources.list)"
		exit 0
	fi
	echo "pythons: debootstrap --variant=minbase sid $root $mirror" >&2
	if ! debootstrap --variant=minbase sid "$root" "$mirror" >.cache/debootstrap.log 2>&1; then
		say "failed: debootstrap could not fetch Debian unstable (see .cache/debootstrap.log: $(tail -n 1 .cache/debootstrap.log))"
		exit 0
	fi
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
# The archive's Release file can be past its Valid-Until date; the lists
# debootstrap fetched work without an update, so a failed update is no end.
chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update -qq >.cache/apt.log 2>&1 ||
	echo "pythons: apt-get update failed in the tree; trying the lists debootstrap fetched" >&2
if ! chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >>.cache/apt.log 2>&1; then
	say "failed: apt-get install $pkgs in the tree (see .cache/apt.log: $(tail -n 1 .cache/apt.log))"
	exit 0
fi
# The extras are optional: a Python the archive no longer carries has no
# venv package, and the tests that need one skip, quoting the status.
avail=""
for p in $extra; do
	chroot "$root" apt-cache show "$p" >/dev/null 2>&1 && avail="$avail $p"
done
if [ -n "$avail" ] && ! chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $avail >>.cache/apt.log 2>&1; then
	say "failed: apt-get install$avail in the tree (see .cache/apt.log: $(tail -n 1 .cache/apt.log))"
	exit 0
fi
if have; then
	say "ok: built $root"
else
	say "failed: the tree lacks an interpreter, headers, venv or auditwheel after apt-get install ($extra)"
fi
