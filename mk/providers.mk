# Provider adapters (sync-providers): loopback fakes for Graph, ConnectWise, process plans and
# Azure DevOps, and a real Radicale CalDAV server from PyPI in target/radicale-venv.

TEST_TARGETS += test-providers
RADICALE_VENV ?= $(CURDIR)/target/radicale-venv

.PHONY: test-providers radicale-venv

radicale-venv:
	RADICALE_VENV=$(RADICALE_VENV) bash scripts/radicale.sh venv

test-providers: radicale-venv
	RADICALE_VENV=$(RADICALE_VENV) $(CARGO) test -p sync-providers --all-features

# sync-cli's CalDAV end-to-end test (in `unit`) and `make demo` use the same virtualenv.
unit: radicale-venv
