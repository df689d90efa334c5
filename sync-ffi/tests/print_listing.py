"""Prints a task folder's listing, read through the uniffi Python bindings, as canonical JSON
(the core's serde form: `{"source", "items", "complete"}`, keys sorted, no spaces, one line),
so the listings of the same folder from every host can be compared byte for byte.

    make ffi-bindings
    PYTHONPATH=target/ffi/python python3 sync-ffi/tests/print_listing.py examples/tasks [source]

`--raw` prints the core's serialisation unchanged (field order as the core writes it).
"""

from __future__ import annotations

import json
import sys

import tasksync_ffi as ts


def main(argv: list[str]) -> int:
    raw = "--raw" in argv
    args = [a for a in argv if a != "--raw"]
    if not args or len(args) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = args[0]
    source = args[1] if len(args) == 2 else "files"
    try:
        report = ts.FolderSource(root, source).read_report()
    except ts.TasksyncError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for problem in report.problems:
        print(f"warning: {problem.path}: {problem.kind}: {problem.message}", file=sys.stderr)
    if raw:
        print(report.listing_json)
    else:
        listing = json.loads(report.listing_json)
        print(json.dumps(listing, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
