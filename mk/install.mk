# Installing the packages the way their users do (tests/install/), outside this Makefile's own
# builds:
#   test-install-python: in new virtualenvs, `pip install "./sync-python[django]"` and
#     `pip install "tasksync[django] @ git+file://$(CURDIR)#subdirectory=sync-python"` (the
#     committed checkout), each built from source by pip; then the metadata, a small sync,
#     `manage.py check` of examples/django and a new Django project made from the README's
#     snippets; pip on Python 3.9 refuses the package.
#   test-install-node: `npm pack` in sync-node and `npm install` of the tarball (the README's
#     Express app over HTTP, a Markdown folder into SQLite), of the folder (linked), and of a
#     clean clone's folder (its install step builds the addon; without cargo it says so).
# The folder installs reuse target/ (the pip build is the release build `python-wheel` makes;
# the tarball packs the addon `node-build` made); the clones build with their own cargo target
# dir, target/install/cargo (so a clone's artifacts never stand in for the checkout's), at
# opt-level 0 (CARGO_PROFILE_RELEASE_OPT_LEVEL) to stay quick.

TEST_TARGETS += test-install

.PHONY: test-install test-install-python test-install-node

test-install: test-install-python test-install-node

test-install-python:
	PYTHON=$(PYTHON) bash tests/install/python.sh

test-install-node: node-build
	NPM=$(NPM) bash tests/install/node.sh
