# pyinc: NASM include files from CPython's C headers.
#
#   make ext         build pyinc, generate an include per Python found and
#                    build the reference extension against each (in build/)
#   make test        install what the tests need, then run them
#   make regen-inc   regenerate the committed snapshots/ includes
#   make wheels      refext wheels for every Python found plus one abi3
#                    wheel for every CPython 3.8+ (in build/wheels), and
#                    the same for Windows x64 (win_amd64, built here)
#   make bench       generator speed, include cost, call speed and build
#                    overhead, as ratios
#   make pgo         refresh cmd/pyinc/default.pgo, the profile go build uses
#   make man         the manual pages, pyinc.1 and one per command (in build/man)
#   make check       gofmt, go vet, staticcheck, go mod tidy, and the fast
#                    tier (go test -short) on a PATH with neither nasm nor
#                    any Python
#   make deps        install nasm, Debian's debug Python, packaging tools
#                    (twine, meson-python, build, venv), and the shells and
#                    man the command-line tests use, when missing
#   make pythons     a Debian unstable tree in .cache/sid with CPython 3.14
#                    and 3.15 (release and debug), for their tests, and
#                    CPython's source from Debian's source packages in
#                    .cache/src (Windows configuration headers), built into
#                    .cache/cpython: 3.13 free-threaded (release and debug)
#                    and 3.11 with trace-refs

GO      ?= go
BUILD   := build
PYINC   := $(BUILD)/pyinc
NASM    ?= nasm
CC      ?= cc
# Debian's packaging tools the shipping tests and make wheels use.
PACKAGING_DEBS := twine meson python3-mesonpy python3-build python3-venv
# The Windows x64 target's compiler: ground truth for its includes.
MINGW_DEBS := gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-tools
# Wine, which runs Windows CPython for the windows-x86_64 runtime tests.
WINDOWS_DEBS := wine wine64

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# What CPython's build needs beyond gcc and make for the modules the tests
# use (zlib for ensurepip, ctypes, ssl for pip).
CPYTHON_BUILD_DEBS := zlib1g-dev libffi-dev libssl-dev

# The interpreters make pythons builds from source are found through
# $$PYINC_PYTHON_PATH, like those on PATH (go test sets it by itself).
empty :=
space := $(empty) $(empty)
# Only when they exist as make starts: an empty value would tell go test,
# which looks for them itself once make pythons has built them, that there
# are none (a fresh machine's make test builds them after this line is read).
PYTHON_BUILDS := $(abspath $(wildcard .cache/cpython/*/bin))
ifneq ($(PYTHON_BUILDS),)
export PYINC_PYTHON_PATH ?= $(subst $(space),:,$(PYTHON_BUILDS))
endif

.PHONY: all build deps pythons test check ext wheels windows-wheels regen-inc bench pgo man clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(PYINC) ./cmd/pyinc

# deps installs what pyinc's build and tests use from Debian's packages.
deps:
	@missing=""; \
	command -v $(NASM) >/dev/null 2>&1 || missing="$$missing nasm"; \
	command -v readelf >/dev/null 2>&1 || missing="$$missing binutils"; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| { echo "deps: could not install$$missing with apt-get: install them by hand" >&2; exit 1; }; \
	fi
	@# mingw-w64's gcc and binutils, for the Windows x64 target: pyinc reads
	@# the Windows headers as it sees them, and the tests check the Windows
	@# includes against it (they skip with a message without it).
	@missing=""; \
	for p in $(MINGW_DEBS); do \
		[ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || { echo "deps: installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1; } || \
		echo "deps: could not install$$missing with apt-get; the Windows target and its tests need them" >&2; }
	@# Debian's debug build of 3.11, for the debug-build tests; they skip
	@# with a message where it cannot be installed.
	@command -v python3.11d >/dev/null 2>&1 || command -v python3.11-dbg >/dev/null 2>&1 || \
		{ echo "deps: installing python3.11-dbg"; \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-dbg >/dev/null 2>&1 || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-dbg >/dev/null; } || \
		  echo "deps: python3.11-dbg could not be installed; the debug-build tests will skip" >&2; }
	@# The shells and man for the command-line tests (completion scripts,
	@# manual pages); those tests skip with a message without them.
	@missing=""; \
	command -v zsh >/dev/null 2>&1 || missing="$$missing zsh"; \
	command -v fish >/dev/null 2>&1 || missing="$$missing fish"; \
	command -v man >/dev/null 2>&1 || missing="$$missing man-db"; \
	[ -f /usr/share/bash-completion/bash_completion ] || missing="$$missing bash-completion"; \
	[ -z "$$missing" ] || { echo "deps: installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } || \
		echo "deps:$$missing could not be installed; their tests will skip" >&2; }
	@# The windows-x86_64 target: mingw-w64's binutils link the DLLs
	@# (ld, dlltool), its gcc is the bench's C side, Wine runs Windows
	@# CPython for the tests; they skip with a message without them.
	@missing=""; \
	for p in $(WINDOWS_DEBS); do \
		[ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || { echo "deps: installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1; } || \
		echo "deps: could not install$$missing with apt-get; the windows-x86_64 tests that need them will skip" >&2; }
	@# What the packaging tests use: twine check, meson-python, python -m
	@# build and venv with ensurepip for Debian's Pythons. The tests that need
	@# one skip with a message where it cannot be installed.
	@missing=""; \
	for p in $(PACKAGING_DEBS); do \
		[ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1; } || \
		echo "deps: could not install$$missing with apt-get; the packaging tests that need them will skip" >&2; \
	fi

pythons:
	@./scripts/pythons.sh
	@./scripts/cpython-src.sh
	@missing=""; \
	for p in $(CPYTHON_BUILD_DEBS); do \
		[ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || { echo "pythons: installing$$missing"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1; } || \
		echo "pythons: could not install$$missing; CPython's build may lack modules" >&2; }
	@./scripts/cpython-build.sh
	@# Windows CPython 3.10, 3.11, 3.14 (MSVC builds, from the Go module
	@# github.com/kluctl/go-embed-python, fetched outside pyinc's module)
	@# and a Wine prefix, in .cache, for the windows-x86_64 tests.
	@$(GO) run ./internal/winpy/cmd/winpython -cache .cache

test: deps pythons
	$(GO) test -timeout 80m ./...

# check is what review would otherwise ask for: formatting, vet, staticcheck
# (run through the Go module proxy, nothing to install), a tidy go.mod, and
# the fast tier run as on a machine with only Go, gcc and binutils, so that
# a -short test needing nasm or a Python is found here.
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	[ -z "$$unformatted" ] || { echo "check: gofmt would change: $$unformatted" >&2; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff
	GO=$(GO) ./scripts/fast-tier.sh

# ext builds the reference extension for every Python pyinc finds, each with
# the suffix that interpreter imports.
ext: build deps
	@mkdir -p $(BUILD)
	@$(PYINC) list --porcelain | while IFS='	' read -r ver interp incdir lib suffix build; do \
		[ "$$interp" = "-" ] && continue; \
		case "$$ver" in 2.*) continue;; esac; \
		dir=$(BUILD)/ext/$$ver-$$(echo $$build | tr ',' '-'); mkdir -p $$dir; \
		$(PYINC) gen -q --python "$$interp" -o $$dir/python.inc || exit 1; \
		$(NASM) -f elf64 -I $$dir/ -o $$dir/refext.o ext/refext.asm || exit 1; \
		$(CC) -shared -o $$dir/refext$$suffix $$dir/refext.o || exit 1; \
		echo "ext: $$dir/refext$$suffix ($$interp)"; \
	done
	@# One abi3 module from the limited API of 3.6, for every Python 3.6+.
	@set -e; interp=$$($(PYINC) list --porcelain | awk -F'\t' '$$1 ~ /^3\./ && $$2 != "-" {print $$2; exit}'); \
	if [ -n "$$interp" ]; then \
		dir=$(BUILD)/ext/abi3; mkdir -p $$dir; \
		$(PYINC) gen -q --python "$$interp" --limited-api 3.6 -o $$dir/python.inc; \
		$(NASM) -f elf64 -I $$dir/ -o $$dir/refext.o ext/refext.asm; \
		$(CC) -shared -o $$dir/refext.abi3.so $$dir/refext.o; \
		echo "ext: $$dir/refext.abi3.so (limited API 3.6, headers of $$interp)"; \
	fi
	@# Windows: refext for each CPython source tree make pythons fetched
	@# (its Include/ and PC/pyconfig.h), and one abi3 module, as wheels.
	@$(MAKE) -s windows-wheels WINOUT=$(BUILD)/ext/windows

# wheels ships the reference extension the way a user's project ships:
# ext/pyproject.toml makes it a pyinc project, so pyinc build does it all.
wheels: build deps
	$(PYINC) build ext --all -q -o $(BUILD)/wheels $$([ -d .cache/sid ] && echo --root .cache/sid)
	$(PYINC) build ext --limited-api 3.8 -q -o $(BUILD)/wheels
	@$(MAKE) -s windows-wheels WINOUT=$(BUILD)/wheels

# windows-wheels builds refext for Windows x64 from Linux (pyinc build
# --target windows-x86_64) for each CPython source tree in .cache/src, plus
# one abi3 wheel for every Windows CPython 3.8+, into WINOUT.
WINOUT ?= $(BUILD)/wheels
windows-wheels: build
	@srcs=$$(ls -d .cache/src/Python-3.*/Include 2>/dev/null); \
	if [ -z "$$srcs" ] || ! command -v x86_64-w64-mingw32-ld >/dev/null 2>&1; then \
		echo "windows-wheels: no CPython source tree in .cache/src (make pythons) or no mingw-w64 binutils (make deps): skipped"; exit 0; \
	fi; \
	for inc in $$srcs; do \
		$(PYINC) build ext -q --target windows-x86_64 --include-dir $$inc -o $(WINOUT) || exit 1; \
	done; \
	newest=$$(echo "$$srcs" | sort -V | tail -n 1); \
	$(PYINC) build ext -q --target windows-x86_64 --include-dir $$newest --limited-api 3.8 -o $(WINOUT)

man:
	$(GO) build -tags man -buildvcs=auto -o $(BUILD)/pyinc-man ./cmd/pyinc
	$(BUILD)/pyinc-man man $(BUILD)/man
	@echo "man: $(BUILD)/man/pyinc.1 (read it with man -l $(BUILD)/man/pyinc.1)"

regen-inc: build
	$(PYINC) regen --dir snapshots $$([ -d .cache/sid ] && echo --root .cache/sid) $$([ -d .cache/src ] && echo --src .cache/src)

bench: build deps
	$(GO) run ./bench -pyinc $(PYINC)

# pgo profiles cold generations for every Python found (a representative
# run) into the profile go build applies to cmd/pyinc.
pgo:
	@mkdir -p $(BUILD)
	$(GO) test -run '^$$' -bench Generate -benchtime 30x -o $(BUILD)/pipeline.test \
		-cpuprofile cmd/pyinc/default.pgo ./internal/pipeline/

clean:
	rm -rf $(BUILD)
