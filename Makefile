# pyinc: NASM include files from CPython's C headers.
#
#   make ext         build pyinc, generate an include per Python found and
#                    build the reference extension against each (in build/)
#   make test        install what the tests need, then run them
#   make regen-inc   regenerate the committed snapshots/ includes
#   make bench       generator speed, include cost and call speed, as ratios
#   make pgo         refresh cmd/pyinc/default.pgo, the profile go build uses
#   make deps        install nasm and Debian's debug Python when missing
#   make pythons     a Debian unstable tree in .cache/sid with CPython 3.14
#                    and 3.15 (release and debug), for their tests

GO      ?= go
BUILD   := build
PYINC   := $(BUILD)/pyinc
NASM    ?= nasm
CC      ?= cc

.PHONY: all build deps pythons test ext regen-inc bench pgo clean

all: build

build:
	$(GO) build -o $(PYINC) ./cmd/pyinc

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
	@# Debian's debug build of 3.11, for the debug-build tests; they skip
	@# with a message where it cannot be installed.
	@command -v python3.11d >/dev/null 2>&1 || command -v python3.11-dbg >/dev/null 2>&1 || \
		{ echo "deps: installing python3.11-dbg"; \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-dbg >/dev/null 2>&1 || \
		  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-dbg >/dev/null; } || \
		  echo "deps: python3.11-dbg could not be installed; the debug-build tests will skip" >&2; }

pythons:
	@./scripts/pythons.sh

test: deps pythons
	$(GO) test ./...

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

regen-inc: build
	$(PYINC) regen --dir snapshots $$([ -d .cache/sid ] && echo --root .cache/sid)

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
