"""Prints a task folder's listing, read through the uniffi Python bindings, as JSON: the
same object `tasksync folder --from DIR --json` prints (the core's serde form,
`{"source", "items", "complete"}`, every item with the core's field names, one compact
line), items in the order the core reads them, so the listings of one folder from every host
can be compared item for item. Files left out are warnings on stderr (the
listing is then partial: `"complete": false`).

    make ffi-bindings
    PYTHONPATH=target/ffi/python python3 sync-ffi/tests/print_listing.py DIR
        [--source NAME] [--sort-keys]

`--source` names the tasks' source (default `files`); `--sort-keys` also sorts every object's
keys. Exit status: 0 printed, 1 the folder could not be read, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys

import tasksync_ffi as ts


def listing(root: str, source: str = "files") -> dict:
    """The folder's listing as the core serialises it."""
    report = ts.FolderSource(root, source).read_report()
    for problem in report.problems:
        print(f"warning: {problem.path}: {problem.kind}: {problem.message}", file=sys.stderr)
    value: dict = json.loads(report.listing_json)
    return value


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Print a task folder's listing as JSON.")
    parser.add_argument("root", help="the folder of Markdown task files")
    parser.add_argument("--source", default="files", help="the tasks' source name")
    parser.add_argument("--sort-keys", action="store_true", help="sort every object's keys")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    try:
        value = listing(args.root, args.source)
    except ts.TasksyncError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    text = json.dumps(value, sort_keys=args.sort_keys, separators=(",", ":"), ensure_ascii=False)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
