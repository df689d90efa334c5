# tasksync: the single entry point for build, test, lint, bench and demo.
# `make demo` and `make test` work on a fresh machine of the project's kind: they install what
# they need themselves (Rust components through rustup; nothing else is needed yet).

CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: demo test lint fmt check-fmt clippy unit bench toolchain clean

## The main job, end to end, on the embedded SQLite store.
demo: toolchain
	$(CARGO) build -p sync-cli
	bash examples/demo.sh target/debug/tasksync

## Every test of every language that exists so far, plus the lints CI enforces.
test: toolchain check-fmt clippy unit

toolchain:
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

check-fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

unit:
	$(CARGO) test --workspace --all-features

lint: check-fmt clippy

fmt:
	$(CARGO) fmt --all

## Benchmarks (figures go to BENCHMARKS.md by hand, with the command that produced them).
bench:
	$(CARGO) bench -p sync-core --bench diff

clean:
	$(CARGO) clean
	rm -rf demo-work
