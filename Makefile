# tasksync: the single entry point for build, test, lint, bench and demo.
# `make demo` and `make test` work on a fresh machine of the project's kind: they install what
# they need themselves (Rust components through rustup, services, virtualenvs, npm packages).
#
# Each language or subsystem adds its own file under mk/ and appends its test target to
# TEST_TARGETS (and, if it has one, its bench target to BENCH_TARGETS), so the pieces stay
# independent and `make test` runs them all.

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: demo test lint fmt check-fmt clippy unit bench bench-core toolchain services clean

## The main job, end to end, on the embedded SQLite store.
demo: toolchain radicale-venv
	$(CARGO) build -p sync-cli
	RADICALE_VENV=$(RADICALE_VENV) bash examples/demo.sh target/debug/tasksync

TEST_TARGETS := unit
BENCH_TARGETS := bench-core

-include mk/*.mk

## Every test of every language, plus the lints CI enforces.
test: toolchain check-fmt clippy $(TEST_TARGETS)

## Starts (on Debian, installs) PostgreSQL and Redis when they are not running.
services:
	bash scripts/services.sh

toolchain:
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

check-fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

# sync-providers runs in test-providers (it needs the Radicale virtualenv set up first).
# PostgreSQL and Redis come up first: the PostgreSQL store's tests make databases there.
unit: services
	$(CARGO) test --workspace --all-features --exclude sync-providers

lint: check-fmt clippy

fmt:
	$(CARGO) fmt --all

## Benchmarks (figures go to BENCHMARKS.md by hand, with the command that produced them).
bench: $(BENCH_TARGETS)

bench-core:
	$(CARGO) bench -p sync-core
	$(CARGO) bench -p sync-sqlite

clean:
	$(CARGO) clean
	rm -rf demo-work
