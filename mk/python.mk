# Python binding (sync-python): builds the abi3 wheel with maturin in a fresh virtualenv under
# target/, installs it, then runs ruff, mypy --strict (tests, stubs, package), mypy's stubtest
# (the .pyi's signatures against the built module; sync-python/stubtest-allowlist.txt lists,
# each with its reason, only what stubtest cannot see in a pyo3 module) and pytest (including
# the stub drift check; the PostgreSQL store's tests, two worker processes among them, make
# and drop their own databases on DATABASE_URL's server). Then the Django app and the example
# project (examples/django): ruff, mypy --strict and pytest-django, once on SQLite and once on
# PostgreSQL (DATABASE_URL; the run creates and drops its own database `tasksync_test_django`);
# its worker and pull tests talk to the Microsoft To Do and ConnectWise fakes.
# The built-in providers' tests talk to the loopback fakes (`fakes`, TASKSYNC_FAKES) and to a
# real Radicale CalDAV server (`radicale-venv`, RADICALE_VENV).
# Needs only PyPI and crates.io, plus the `services` target for PostgreSQL.

PYTHON ?= python3
PY_VENV := target/venv-python
PY_BIN := $(PY_VENV)/bin
PY_WHEELS := target/python-wheels

TEST_TARGETS += test-python
BENCH_TARGETS += bench-python

.PHONY: test-python bench-python python-venv python-wheel

python-venv:
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_BIN)/pip install --quiet --upgrade pip
	$(PY_BIN)/pip install --quiet 'maturin>=1.16,<2' 'pytest>=8' 'mypy>=1.10' 'ruff>=0.5' \
		'django>=5.2,<6' 'pytest-django>=4.9' 'psycopg[binary]>=3.2'

python-wheel: python-venv
	rm -rf $(PY_WHEELS)
	cd sync-python && ../$(PY_BIN)/maturin build --release --out ../$(PY_WHEELS)
	$(PY_BIN)/pip install --quiet --force-reinstall $(PY_WHEELS)/tasksync-*.whl

test-python: services fakes radicale-venv python-wheel
	cd sync-python && ../$(PY_BIN)/ruff check python tests bench
	cd sync-python && ../$(PY_BIN)/ruff format --check python tests bench
	cd sync-python && ../$(PY_BIN)/mypy --strict tests python/tasksync bench
	cd sync-python && ../$(PY_BIN)/python -m mypy.stubtest tasksync._native \
		--allowlist stubtest-allowlist.txt
	cd sync-python && TASKSYNC_FAKES=$(TASKSYNC_FAKES) RADICALE_VENV=$(RADICALE_VENV) \
		../$(PY_BIN)/python -m pytest -q -p no:cacheprovider tests
	cd examples/django && ../../$(PY_BIN)/ruff check . && ../../$(PY_BIN)/ruff format --check .
	cd examples/django && ../../$(PY_BIN)/mypy --strict .
	cd examples/django && TASKSYNC_FAKES=$(TASKSYNC_FAKES) TASKSYNC_DB=sqlite \
		../../$(PY_BIN)/python -m pytest -q -p no:cacheprovider
	cd examples/django && TASKSYNC_FAKES=$(TASKSYNC_FAKES) TASKSYNC_DB=postgres \
		../../$(PY_BIN)/python -m pytest -q -p no:cacheprovider

# Preview + execute of 100,000 tasks vs the hand-written Django ORM way, binding call cost,
# switch latency; figures go to BENCHMARKS.md ("Python binding") by hand.
bench-python: python-wheel
	$(PY_BIN)/python sync-python/bench/bench_sync.py
