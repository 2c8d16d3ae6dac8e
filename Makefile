# nono audit tools. Needs only Go; everything else a target uses it fetches.
GO      ?= go
# Static binaries start faster (no dynamic loader), which matters for the
# several short-lived tools of every `nono run`.
export CGO_ENABLED ?= 0
PREFIX  ?= /usr/local
BINDIR  := bin
CMDS    := $(notdir $(wildcard cmd/nono-*))
# Programs the tools start, installed beside them (no manual page).
HELPERS := nono-run-confine nono-run-proxy nono-run-inplace nono-redact-stage nono-chain-stage nono-merkle-stage

.PHONY: all build man shellcheck test vet fmt-check bench demo install uninstall interop fuzz clean minio

all: build

# What --version reports: the nearest tag and commit, when git knows them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X github.com/nono-audit/nono/lib/cli.version=$(VERSION)

# On linux/amd64 the tools start at lib/prefault's assembly entry, which
# maps each program's image in a few system calls before the Go runtime
# starts, instead of a page fault at a time (docs/ARCHITECTURE.md); and
# nono-run-confine at lib/confine's, which execs the command before the
# runtime starts (docs/SANDBOX.md). Elsewhere, or built without these
# flags, the tools do the same work without them.
ifeq ($(shell $(GO) env GOOS GOARCH),linux amd64)
PREFAULT_ENTRY := -E=github.com/nono-audit/nono/lib/prefault.entry
CONFINE_ENTRY := -E=github.com/nono-audit/nono/lib/confine.entry
endif

# Go 1.26 starts the heap at a random address, a hardening for programs
# whose C code shares the address space with Go's. The tools are pure Go
# (CGO_ENABLED=0), and the random start costs each of them time at every
# start (docs/ARCHITECTURE.md), so they are built without it, where the
# toolchain knows the switch and GOEXPERIMENT is not set already.
ifeq ($(origin GOEXPERIMENT)$(CGO_ENABLED),undefined0)
TOOLS_ENV := $(if $(shell GOEXPERIMENT=norandomizedheapbase64 $(GO) env GOEXPERIMENT 2>/dev/null),GOEXPERIMENT=norandomizedheapbase64)
endif

build:
	$(TOOLS_ENV) $(GO) build -trimpath -ldflags "$(LDFLAGS) $(PREFAULT_ENTRY)" -o $(BINDIR)/ ./cmd/...
	$(TOOLS_ENV) $(GO) build -trimpath -ldflags "$(LDFLAGS) $(CONFINE_ENTRY)" -o $(BINDIR)/ ./cmd/nono-run/nono-run-confine
	@if [ -f cmd/nono/nono ]; then install -m 0755 cmd/nono/nono $(BINDIR)/nono; fi

# Manual pages, generated from each tool's flags (its hidden __man command).
man: build
	mkdir -p $(BINDIR)/man/man1
	for t in $(CMDS); do $(BINDIR)/$$t __man > $(BINDIR)/man/man1/$$t.1 || exit 1; done

# The nono wrapper is a POSIX sh prologue, then bash: shellcheck both
# (Debian's package; .ci/run installs it, and so does this target where
# apt-get can).
shellcheck:
	@command -v shellcheck >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		{ apt-get update -qq && apt-get install -y -qq shellcheck; } >/dev/null 2>&1; } || true
	@if command -v shellcheck >/dev/null 2>&1; then shellcheck cmd/nono/nono && \
		sed '/^# shellcheck shell=bash/d; /^# Bash from here on/q' cmd/nono/nono | shellcheck -s sh -; \
	else echo "make test: shellcheck is not installed and could not be; the wrapper was not checked"; fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Unit tests, golden vectors, property tests, fuzz seeds and the testscript
# end-to-end scripts in tests/; then the separate module in tests/interop,
# where sigstore-go verifies bundles this project signs. The delivery tests
# run against a real MinIO server, built once per machine and cached (see
# `minio`); if it cannot be built they are skipped, saying so.
test: fmt-check vet shellcheck
	@./scripts/minio.sh >/dev/null || echo "make test: the MinIO server could not be built; the S3 tests will be skipped"
	$(GO) test -timeout 9m ./...
	cd tests/interop && $(GO) test -timeout 5m ./...

# Verifies a freshly signed session with cosign v2.6.5 (built on first use
# into ~/.cache/nono-interop; not part of `make test`).
interop: build
	./scripts/interop.sh

# Go benchmarks plus timed runs of the binaries on generated data, with
# ratios against openssl dgst -sha256 over the same bytes.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./lib/...
	./bench/run.sh

# The MinIO server of the S3 tests and benchmarks, built from the Go module
# proxy at a pinned version into ~/.cache/nono-test (about 12 minutes cold
# on 2 cores; .ci/run does it before `make test`).
minio:
	./scripts/minio.sh >/dev/null

# Records a real session with the default settings, lists it and verifies it.
demo: build
	./scripts/demo.sh

install: build man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 $(BINDIR)/man/man1/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0755 $(addprefix $(BINDIR)/,$(CMDS) $(HELPERS)) $(DESTDIR)$(PREFIX)/bin/
	@if [ -f $(BINDIR)/nono ]; then install -m 0755 $(BINDIR)/nono $(DESTDIR)$(PREFIX)/bin/nono; fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(CMDS) $(HELPERS) nono)
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(addsuffix .1,$(CMDS)))

# Short coverage-guided runs of every fuzz target (not part of `make test`).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf $(BINDIR)
