# The outbound queue on PostgreSQL, side by side (bench/postgres): tasksync through the Node
# binding (Store.postgres, StatusService, Worker with a JS provider) against graphile-worker,
# two worker processes per side, N=20,000 jobs, no-op and fail-twice providers, 3 runs, each
# side and run in a database of its own (dropped at the end); then the same work through the
# core alone (sync-postgres's queue bench). Needs PostgreSQL at DATABASE_URL (default
# 127.0.0.1:5432, user postgres). Figures go to BENCHMARKS.md by hand.
# bench-pg-queue-smoke: 200 jobs, one run, every side and mode: checks the harness (no figures).

BENCH_PG_ARGS ?=

.PHONY: bench-pg-queue bench-pg-queue-smoke bench-pg-install

BENCH_TARGETS += bench-pg-queue

bench-pg-install: node-install
	cd sync-node && CARGO_TARGET_DIR=$(NODE_TARGET_DIR) node scripts/build.mjs --release
	cd bench/postgres && $(NPM) install --no-audit --no-fund

bench-pg-queue: bench-pg-install services
	cd bench/postgres && node queue.mjs $(BENCH_PG_ARGS)
	QUEUE_RUNS=3 $(CARGO) bench -p sync-postgres --features testing --bench queue

bench-pg-queue-smoke: bench-pg-install services
	cd bench/postgres && node queue.mjs --smoke
