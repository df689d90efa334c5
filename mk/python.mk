# Python binding (sync-python): builds the abi3 wheel with maturin in a fresh virtualenv under
# target/, installs it, then runs ruff, mypy --strict (tests, stubs, package) and pytest
# (including the stub drift check). Needs only PyPI and crates.io.

PYTHON ?= python3
PY_VENV := target/venv-python
PY_BIN := $(PY_VENV)/bin
PY_WHEELS := target/python-wheels

TEST_TARGETS += test-python

.PHONY: test-python python-venv python-wheel

python-venv:
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_BIN)/pip install --quiet --upgrade pip
	$(PY_BIN)/pip install --quiet 'maturin>=1.16,<2' 'pytest>=8' 'mypy>=1.10' 'ruff>=0.5'

python-wheel: python-venv
	rm -rf $(PY_WHEELS)
	cd sync-python && ../$(PY_BIN)/maturin build --release --out ../$(PY_WHEELS)
	$(PY_BIN)/pip install --quiet --force-reinstall $(PY_WHEELS)/tasksync-*.whl

test-python: python-wheel
	cd sync-python && ../$(PY_BIN)/ruff check python tests
	cd sync-python && ../$(PY_BIN)/ruff format --check python tests
	cd sync-python && ../$(PY_BIN)/mypy --strict tests python/tasksync
	cd sync-python && ../$(PY_BIN)/python -m pytest -q -p no:cacheprovider tests
