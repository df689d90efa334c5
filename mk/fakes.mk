# The loopback provider fakes (sync-providers/examples/fakes.rs, documented in
# sync-providers/examples/fakes.md): one server per built-in provider's API with control
# endpoints under /_fake/, for the tests of every host. Built once here; every recipe finds it
# through TASKSYNC_FAKES. A test target that spawns it depends on `fakes`.

FAKES_TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
FAKES_BIN := $(FAKES_TARGET_DIR)/debug/examples/fakes
export TASKSYNC_FAKES := $(FAKES_BIN)

.PHONY: fakes

fakes:
	$(CARGO) build -p sync-providers --example fakes

# sync-cli's provider and pull tests (tests/providers.rs, tests/pull.rs) spawn it.
unit: fakes
