"""Checks an installed ``tasksync`` as a user of the virtualenv sees it: the package metadata
pip recorded (Python floor, the ``django`` extra, license, URLs, classifiers, readme), the wheel's
abi3 tag, where it was built from, and a small sync into a SQLite file.

Usage: ``python check_python.py [--commit SHA]`` (with ``--commit``, the package must have been
installed from a git URL at that commit). Prints one line per check and ``N passed, N failed``.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

DIST = importlib.metadata.distribution("tasksync")
META = DIST.metadata
CHECKS: list[Callable[[], None]] = []


def check(fn: Callable[[], None]) -> Callable[[], None]:
    CHECKS.append(fn)
    return fn


@check
def python_floor_is_310() -> None:
    assert META["Requires-Python"] == ">=3.10", META["Requires-Python"]


@check
def django_extra_brings_django_52() -> None:
    assert "django" in (META.get_all("Provides-Extra") or []), META.get_all("Provides-Extra")
    requires = [r.replace(" ", "").lower() for r in DIST.requires or []]
    assert any(r.startswith("django") and "<6" in r and ">=5.2" in r for r in requires), requires
    import django

    assert django.VERSION[:2] == (5, 2), django.VERSION


@check
def wheel_is_abi3_from_cpython_310() -> None:
    wheel = DIST.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    assert tags and all(t.startswith("cp310-abi3-") for t in tags), tags


@check
def license_urls_classifiers_and_readme() -> None:
    assert META["License-Expression"] == "MIT OR Apache-2.0", META["License-Expression"]
    urls = META.get_all("Project-URL") or []
    assert any(u.startswith("Repository, ") for u in urls), urls
    classifiers = set(META.get_all("Classifier") or [])
    for c in (
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Rust",
        "Typing :: Typed",
    ):
        assert c in classifiers, (c, sorted(classifiers))
    content_type = META["Description-Content-Type"]
    assert content_type.startswith("text/markdown"), content_type
    assert "# tasksync for Python" in (META.get_payload() or ""), "readme missing"  # type: ignore[attr-defined]


@check
def built_from_the_expected_source() -> None:
    direct = json.loads(DIST.read_text("direct_url.json") or "{}")
    if "--commit" in sys.argv:
        commit = sys.argv[sys.argv.index("--commit") + 1]
        assert direct.get("vcs_info", {}).get("commit_id") == commit, direct
        assert direct.get("subdirectory") == "sync-python", direct
    else:
        assert direct.get("url", "").endswith("/sync-python"), direct


@check
def small_sync_into_sqlite() -> None:
    import tasksync

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "hub.db")
        listing = {
            "source": "files",
            "complete": True,
            "items": [
                {"external_id": "spec", "kind": "task", "title": "Write the spec"},
                {"external_id": "build", "kind": "task", "title": "Build it"},
            ],
        }
        engine = tasksync.SyncEngine(tasksync.SqliteStore(db))
        plan = engine.preview("project-1", listing)
        assert plan.counts["creates"] == 2, plan.counts
        report = engine.execute(plan, confirmed=True)
        assert report.created == 2, report.to_dict()
        reopened = tasksync.SqliteStore(db)
        titles = sorted(t["title"] for t in reopened.snapshot("project-1")["tasks"])
        assert titles == ["Build it", "Write the spec"], titles
        assert tasksync.SyncEngine(reopened).preview("project-1", listing).is_empty()
        try:
            engine.execute(plan, confirmed=True)
        except tasksync.StalePlanError as e:
            assert e.code == "stale_plan", e.code
        else:
            raise AssertionError("executing a plan twice was not refused as stale")


def main() -> int:
    failed = 0
    for fn in CHECKS:
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
            failed += 1
            print(f"FAIL {fn.__name__}: {type(e).__name__}: {e}")
        else:
            print(f"ok   {fn.__name__}")
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
