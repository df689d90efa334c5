"""Asserts that every host reads one folder as the same listing.

Usage: compare.py EXPECTED_ITEMS LABEL=FILE...

Each FILE holds the listing one host printed (the core's JSON form of a `Listing`: source,
items, complete). The listings must be equal item for item, in the same order, and hold
EXPECTED_ITEMS items; the first difference is printed with the hosts that disagree.
"""

import json
import sys
from typing import Any


def load(spec: str) -> tuple[str, Any]:
    label, _, path = spec.partition("=")
    with open(path, encoding="utf-8") as f:
        return label, json.load(f)


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: present in only one listing"
            diff = first_difference(a[key], b[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} entries != {len(b)} entries"
        for i, (x, y) in enumerate(zip(a, b)):
            diff = first_difference(x, y, f"{path}[{i}]")
            if diff:
                return diff
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"


def main(argv: list[str]) -> int:
    expected = int(argv[1])
    listings = [load(spec) for spec in argv[2:]]
    if len(listings) < 2:
        print("compare.py: give at least two listings", file=sys.stderr)
        return 2
    failed = False
    for label, listing in listings:
        count = len(listing.get("items", []))
        if count != expected or listing.get("complete") is not True:
            print(f"{label}: {count} items, complete={listing.get('complete')!r}; "
                  f"expected {expected} items, complete", file=sys.stderr)
            failed = True
    base_label, base = listings[0]
    for label, listing in listings[1:]:
        diff = first_difference(base, listing)
        if diff:
            print(f"{base_label} and {label} differ at {diff}", file=sys.stderr)
            failed = True
    if failed:
        return 1
    names = ", ".join(label for label, _ in listings)
    print(f"folder listing: {names} agree on {expected} items")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
