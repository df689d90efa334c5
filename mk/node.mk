# Node binding (sync-node, npm package `tasksync`) and the Express example.
# test-node: installs npm packages, builds the addon (napi CLI), fails on typings drift, runs
# tsc on the typings and a TS example, then the binding's and the example's tests (the example
# needs Redis, hence `services`). The built-in providers' tests spawn the loopback fakes
# (`fakes`, TASKSYNC_FAKES) and a real Radicale CalDAV server (`radicale-venv`, RADICALE_VENV).

NPM ?= npm
NODE_TARGET_DIR ?= $(CURDIR)/target

.PHONY: test-node node-install node-build bench-node

TEST_TARGETS += test-node
BENCH_TARGETS += bench-node

node-install:
	cd sync-node && $(NPM) install --no-audit --no-fund
	cd examples/express && $(NPM) install --no-audit --no-fund

node-build: node-install
	cd sync-node && CARGO_TARGET_DIR=$(NODE_TARGET_DIR) node scripts/build.mjs --check

test-node: node-build services fakes radicale-venv
	cd sync-node && npx tsc --noEmit -p tsconfig.json
	cd sync-node && TASKSYNC_FAKES=$(TASKSYNC_FAKES) RADICALE_VENV=$(RADICALE_VENV) node --test test/
	cd examples/express && node --test test/

bench-node: node-install
	cd sync-node && CARGO_TARGET_DIR=$(NODE_TARGET_DIR) node scripts/build.mjs --release
	cd sync-node && node bench/sync.mjs && node bench/switch.mjs
	cd examples/express && node bench/ws.mjs
