#!/usr/bin/env bash
# Runs the fast tier (go test -short ./...) the way a machine with nothing
# but Go, gcc and binutils runs it: PATH is a directory of links to those
# tools and the few base commands the tests' shell scripts use, and holds
# neither nasm nor any Python; no pyenv, no home directory of ours, none of
# our environment. make check runs it, so a test that quietly starts
# needing nasm or an interpreter in -short fails there.
set -u
cd "$(dirname "$0")/.."
go=${GO:-go}
command -v "$go" >/dev/null 2>&1 || { echo "fast-tier: $go is not installed" >&2; exit 1; }
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for t in "$go" gofmt cc gcc cpp as ld ld.bfd nm readelf objdump ar make git sh bash env sed awk grep cat mktemp rm ls; do
	p=$(command -v "$t") && ln -s "$p" "$bin/$(basename "$t")"
done
for t in nasm python python3; do
	[ ! -e "$bin/$t" ] || { echo "fast-tier: $t found its way onto the fast tier's PATH" >&2; exit 1; }
done
env -i PATH="$bin" HOME="$bin" PYENV_ROOT=/nonexistent TMPDIR="${TMPDIR:-/tmp}" \
	GOPATH="$("$go" env GOPATH)" GOCACHE="$("$go" env GOCACHE)" GOMODCACHE="$("$go" env GOMODCACHE)" \
	GOTOOLCHAIN=local \
	"$bin/$(basename "$go")" test -short ./...
