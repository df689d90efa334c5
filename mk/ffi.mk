# uniffi binding (sync-ffi): builds the library and the workspace's own bindgen, generates
# Kotlin, Swift and Python bindings into target/ffi/<language>, then
#   test-ffi-python: the shared diff scenarios, the queue and error mapping, sessions, history
#                    and events through the Python bindings (plain python3, no packages), with
#                    a Python task store, session store, provider, clock and event sink;
#                    dead letters by hand (audited), a Python history store (blocking and
#                    `async def`, the latter written by the pump via `uniffi_set_event_loop`),
#                    a storage-only Python job store under the worker, and the core's task, job
#                    (fencing included), session and history conformance suites against the
#                    Python stores; targets checked
#                    by the core (bad ones, the JSON form, cross-source), `task_from_desired`,
#                    the breaker, rate limiter, backoff and `classify`, corrupt host sessions,
#                    transition rules, status mappings, the core's clocks, and every entry of
#                    the core's operation manifest mapped to its Python symbol; the
#                    PostgreSQL store (`HubStore.postgres`, `SessionEngine.postgres`,
#                    `History.postgres`) under the same suites, shared by two hub stores
#                    (jobs, sessions, history, provider gates) on DATABASE_URL's server;
#                    every built-in provider kind (`builtin_provider`) against the loopback
#                    fakes (paging into a preview and execute, pushes through the Worker
#                    checked on the wire, 429 pausing the provider, 401 renewed by an async
#                    and a blocking Python refresher, 404 dead-lettered, a credential sweep
#                    over errors, history, jobs, metrics and the log lines of `set_log_sink`),
#                    CalDAV against a real Radicale (`radicale-venv`), the folder source,
#                    print_listing.py and the puller (executed, held, failed listing, its
#                    loop with the host's actor);
#   test-ffi-kotlin: the scenarios, the queue, sessions and history on the JVM (kotlinc from
#                    npm `kotlin-compiler`, JNA and kotlinx-coroutines from Debian, installed
#                    here when missing), with `suspend` foreign traits, and a Kotlin task+job
#                    store under the core's task and job conformance suites, the PostgreSQL
#                    store under the task, job and session suites with its gates shared by
#                    two hub stores, targets, the retry policies, corrupt Kotlin sessions,
#                    transitions, clocks and the manifest, the folder source and pulls, and
#                    Microsoft To Do against the fakes end to end (list, push, 401, 404);
#   test-ffi-swift:  the Swift files are generated and carry the expected API (no Swift
#                    compiler exists for this machine).
# One cargo build makes both the cdylib and the bindgen binary (so their uniffi metadata
# agree); the bindgen binary is then called directly. Inside `make test` that build uses the
# workspace flags of clippy and unit, so it reuses their artifacts instead of rebuilding tokio
# and uniffi with another feature set; alone (`make test-ffi`) it builds only sync-ffi and what
# it needs, which is much less on a fresh clone. The Python and Kotlin runs need PostgreSQL
# (the `services` target; each test makes and drops its own databases).

FFI_TARGET ?= $(CURDIR)/target
ifneq ($(filter test,$(MAKECMDGOALS)),)
FFI_BUILD_FLAGS ?= --workspace --all-targets --all-features
else
FFI_BUILD_FLAGS ?= -p sync-ffi --features bindgen
endif
FFI_LIB = $(FFI_TARGET)/debug/libtasksync_ffi.so
FFI_BINDGEN = $(FFI_TARGET)/debug/uniffi-bindgen
FFI_OUT = $(FFI_TARGET)/ffi
FFI_KOTLINC_DIR = $(FFI_TARGET)/ffi-kotlinc
FFI_KOTLINC = $(FFI_KOTLINC_DIR)/node_modules/kotlin-compiler/bin/kotlinc
FFI_KOTLIN_CP = /usr/share/java/jna.jar:/usr/share/java/kotlinx-coroutines-core.jar:/usr/share/java/atomicfu.jar
# The loopback provider fakes (sync-providers' `fakes` example) the built-in provider tests
# talk to; the tests read its path from TASKSYNC_FAKES. The CalDAV tests start Radicale from
# RADICALE_VENV (mk/providers.mk).
FFI_FAKES = $(FFI_TARGET)/debug/examples/fakes
FFI_DEBS = libjna-java libjna-jni libkotlinx-coroutines-java libkotlinx-atomicfu-java
PYTHON ?= python3

TEST_TARGETS += test-ffi

.PHONY: test-ffi ffi-build ffi-fakes ffi-bindings ffi-kotlin-toolchain test-ffi-python test-ffi-kotlin test-ffi-swift

ffi-build:
	CARGO_TARGET_DIR=$(FFI_TARGET) $(CARGO) build $(FFI_BUILD_FLAGS)

ffi-fakes:
	CARGO_TARGET_DIR=$(FFI_TARGET) $(CARGO) build -p sync-providers --example fakes

## Kotlin, Swift and Python bindings from the built library, in target/ffi/<language>.
ffi-bindings: ffi-build
	rm -rf $(FFI_OUT)/python $(FFI_OUT)/kotlin $(FFI_OUT)/swift
	for lang in python kotlin swift; do \
	  $(FFI_BINDGEN) generate --library $(FFI_LIB) --language $$lang --out-dir $(FFI_OUT)/$$lang --no-format || exit 1; \
	done
	cp $(FFI_LIB) $(FFI_OUT)/python/

ffi-kotlin-toolchain:
	@dpkg -s $(FFI_DEBS) >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(FFI_DEBS); }
	@test -x $(FFI_KOTLINC) || { mkdir -p $(FFI_KOTLINC_DIR) && \
	  npm install --no-audit --no-fund --prefix $(FFI_KOTLINC_DIR) kotlin-compiler@2.4; }

test-ffi: test-ffi-python test-ffi-kotlin test-ffi-swift

test-ffi-python: services ffi-bindings ffi-fakes radicale-venv
	TASKSYNC_FAKES=$(FFI_FAKES) RADICALE_VENV=$(RADICALE_VENV) PYTHONPATH=$(FFI_OUT)/python:sync-ffi/tests/python $(PYTHON) -m unittest discover -s sync-ffi/tests/python -v

test-ffi-kotlin: services ffi-bindings ffi-kotlin-toolchain ffi-fakes
	$(FFI_KOTLINC) -nowarn -cp $(FFI_KOTLIN_CP) $(FFI_OUT)/kotlin/uniffi/tasksync_ffi/tasksync_ffi.kt \
	  sync-ffi/tests/kotlin/*.kt -include-runtime -d $(FFI_OUT)/ffi-test.jar
	TASKSYNC_FAKES=$(FFI_FAKES) java -Djna.library.path=$(FFI_TARGET)/debug -cp $(FFI_OUT)/ffi-test.jar:$(FFI_KOTLIN_CP) \
	  tasksync.test.FfiTestKt tests/scenarios/diff.json

test-ffi-swift: ffi-bindings
	bash sync-ffi/tests/check-swift.sh $(FFI_OUT)/swift
