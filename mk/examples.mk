# Cargo examples: every `<crate>/examples/*.rs` is built and run (`cargo run --example`); each
# prints what it did, exits non-zero when something is wrong and writes only into a temporary
# directory. A new example file is picked up without editing this file.

EXAMPLES := $(sort $(wildcard */examples/*.rs))

TEST_TARGETS += test-examples

.PHONY: test-examples

test-examples:
	@set -e; for file in $(EXAMPLES); do \
	  crate=$${file%%/*}; name=$$(basename $$file .rs); \
	  echo "== cargo run -p $$crate --example $$name"; \
	  $(CARGO) run -q -p $$crate --example $$name; \
	done
