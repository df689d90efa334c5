# One folder, four hosts: examples/tasks read by the CLI (`tasksync folder --json`), the Python
# package, the Node package and the uniffi Python bindings must give the same listing, item for
# item (tests/folder_listing/compare.py; 28 items). Reuses the builds of the other targets.

FOLDER_LISTING_DIR := target/folder-listing
FOLDER_LISTING_ITEMS := 28

TEST_TARGETS += test-folder-listing

.PHONY: test-folder-listing

test-folder-listing: python-wheel node-build ffi-bindings
	$(CARGO) build -p sync-cli
	rm -rf $(FOLDER_LISTING_DIR) && mkdir -p $(FOLDER_LISTING_DIR)
	target/debug/tasksync folder --from examples/tasks --json > $(FOLDER_LISTING_DIR)/cli.json
	$(PY_BIN)/python tests/folder_listing/python_listing.py examples/tasks > $(FOLDER_LISTING_DIR)/python.json
	node tests/folder_listing/node_listing.mjs examples/tasks > $(FOLDER_LISTING_DIR)/node.json
	PYTHONPATH=$(FFI_TARGET)/ffi/python python3 sync-ffi/tests/print_listing.py examples/tasks > $(FOLDER_LISTING_DIR)/uniffi.json
	python3 tests/folder_listing/compare.py $(FOLDER_LISTING_ITEMS) \
		cli=$(FOLDER_LISTING_DIR)/cli.json python=$(FOLDER_LISTING_DIR)/python.json \
		node=$(FOLDER_LISTING_DIR)/node.json uniffi=$(FOLDER_LISTING_DIR)/uniffi.json
