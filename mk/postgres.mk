# The crash and multi-process scenarios of `tasksync worker` on PostgreSQL at full size:
# thousands of jobs and many faults (killed workers, server restarts, ended sessions, a full
# server, workers in separate network namespaces). `make test` runs the same scenarios short
# (300 jobs, one fault of each kind) in `unit`; this target is added to no other.
# Needs root (private servers run as the `postgres` user, `ip netns`) and PostgreSQL's binaries.

CHAOS_JOBS ?= 3000
CHAOS_KILLS ?= 8

.PHONY: test-pg-chaos

test-pg-chaos: services
	TASKSYNC_CHAOS_JOBS=$(CHAOS_JOBS) TASKSYNC_CHAOS_KILLS=$(CHAOS_KILLS) \
		$(CARGO) test -p sync-cli --test pg_chaos -- --test-threads=1 --nocapture
