# Coverage-guided fuzzing (fuzz/: its own cargo workspace, cargo-fuzz and libFuzzer on the
# nightly toolchain, AddressSanitizer). One target per reader of outside input: Markdown task
# files and the folder walk, iCalendar VTODOs, CalDAV multistatus XML, plan files and listing
# JSON, and the JSON answers of To Do, ConnectWise, process plans and Azure DevOps.
#   fuzz:      every target for FUZZ_SECONDS (default 600) each; what it finds is kept in
#              target/fuzz/corpus/<target> (copy an input worth keeping into fuzz/corpus/).
#   test-fuzz: (in `make test`) a short pass, 5 s per target, on a fresh copy of the
#              checked-in seed corpus fuzz/corpus/<target>, so the repository never changes.
# Every run is bounded: a single input may take FUZZ_TIMEOUT seconds, the process FUZZ_RSS_MB
# of memory and one allocation FUZZ_MALLOC_MB; crossing a bound is a failure like a panic.
# A failing input lands in target/fuzz/artifacts/<target>/; replay it with
#   target/fuzz/build/x86_64-unknown-linux-gnu/release/<target> <file>
# cargo-fuzz is installed from crates.io when missing, the nightly toolchain through rustup.

FUZZ_TOOLCHAIN ?= nightly
FUZZ_SECONDS ?= 600
FUZZ_TEST_SECONDS ?= 5
FUZZ_TIMEOUT ?= 10
FUZZ_RSS_MB ?= 2048
FUZZ_MALLOC_MB ?= 512
FUZZ_MAX_LEN ?= 16384
FUZZ_TARGETS ?= markdown folder ical caldav_xml plan listing mstodo connectwise processplan azure_devops
FUZZ_OUT := $(CURDIR)/target/fuzz
FUZZ_TRIPLE := x86_64-unknown-linux-gnu
FUZZ_BIN := $(FUZZ_OUT)/build/$(FUZZ_TRIPLE)/release
FUZZ_LIMITS = -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) -malloc_limit_mb=$(FUZZ_MALLOC_MB) \
	-max_len=$(FUZZ_MAX_LEN) -print_final_stats=1

TEST_TARGETS += test-fuzz

.PHONY: fuzz test-fuzz fuzz-tools fuzz-build

fuzz-tools:
	@rustup toolchain list | grep -q '^$(FUZZ_TOOLCHAIN)' || rustup toolchain install $(FUZZ_TOOLCHAIN) --profile minimal
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

# The fuzz workspace starts from the main workspace's lock file (same versions of every shared
# crate; cargo adds libFuzzer's), kept out of git so a build never changes the repository.
fuzz-build: fuzz-tools
	cp Cargo.lock fuzz/Cargo.lock
	cd fuzz && rustup run $(FUZZ_TOOLCHAIN) cargo fuzz build --target $(FUZZ_TRIPLE) --target-dir $(FUZZ_OUT)/build

# $(1): corpus folder under target/fuzz, $(2): seconds per target, $(3): "fresh" to start
# from the seeds alone.
define fuzz_run
	@set -e; for t in $(FUZZ_TARGETS); do \
	  corpus=$(FUZZ_OUT)/$(1)/$$t; \
	  if [ "$(3)" = fresh ]; then rm -rf $$corpus; fi; \
	  mkdir -p $$corpus $(FUZZ_OUT)/artifacts/$$t; \
	  cp -R fuzz/corpus/$$t/. $$corpus/; \
	  echo "fuzz $$t: $(2) s on $$corpus"; \
	  nice -n 10 $(FUZZ_BIN)/$$t $$corpus -max_total_time=$(2) $(FUZZ_LIMITS) \
	    -artifact_prefix=$(FUZZ_OUT)/artifacts/$$t/ 2>$(FUZZ_OUT)/$$t.log \
	    || { tail -n 60 $(FUZZ_OUT)/$$t.log; echo "fuzz $$t failed; input in $(FUZZ_OUT)/artifacts/$$t/"; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' $(FUZZ_OUT)/$$t.log | tr '\n' ' '; echo; \
	done
endef

## Every fuzz target for FUZZ_SECONDS each.
fuzz: fuzz-build
	$(call fuzz_run,corpus,$(FUZZ_SECONDS),keep)

test-fuzz: fuzz-build
	$(call fuzz_run,short,$(FUZZ_TEST_SECONDS),fresh)
