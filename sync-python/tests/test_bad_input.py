"""Bad input from Python: a typed exception with a clear message, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
import tasksync

GOOD = {
    "source": "files",
    "items": [{"external_id": "a", "kind": "task", "title": "A"}],
    "complete": True,
}


def engine_with_one_task() -> tuple[tasksync.SyncEngine, tasksync.MemoryStore]:
    store = tasksync.MemoryStore()
    engine = tasksync.SyncEngine(store)
    engine.execute(engine.preview("s", GOOD), confirmed=True)
    return engine, store


BAD_LISTINGS: list[Any] = [
    42,
    None,
    ["not", "a", "listing"],
    {"source": "files", "items": "nope", "complete": True},
    {
        "source": "files",
        "items": [{"external_id": "a", "kind": "task", "title": 7}],
        "complete": True,
    },
    {
        "source": "files",
        "items": [{"external_id": "a", "kind": "task", "title": "A", "status": "bogus"}],
        "complete": True,
    },
    {
        "source": "files",
        "items": [{"external_id": "a", "kind": "task", "title": "x" * 2_000_000}],
        "complete": True,
    },
    {
        "source": "files",
        "items": [{"external_id": "a" * 100_000, "kind": "task", "title": "A"}],
        "complete": True,
    },
    {
        "source": "files",
        "items": [
            {"external_id": "a", "kind": "task", "title": "A", "fields": {"n": float("nan")}}
        ],
        "complete": True,
    },
    {
        "source": "files",
        "items": [{"external_id": "a", "kind": "task", "title": "A", "fields": {1: "x"}}],
        "complete": True,
    },
    {
        "source": "files",
        "items": [{"external_id": "a", "kind": "task", "title": "A", "fields": {"big": 2**80}}],
        "complete": True,
    },
    {
        "source": "files",
        "items": [{"external_id": "a", "kind": "task", "title": "A", "fields": {"o": object()}}],
        "complete": True,
    },
    "{not json",
    '{"source": "files", "items": [], "complete": "yes"}',
]


@pytest.mark.parametrize("bad", BAD_LISTINGS, ids=range(len(BAD_LISTINGS)))
def test_a_bad_listing_is_invalid_input_and_changes_nothing(bad: Any) -> None:
    engine, store = engine_with_one_task()
    before = store.snapshot("s")
    with pytest.raises(tasksync.InvalidInputError) as err:
        engine.preview("s", bad)
    assert err.value.code == "invalid_input"
    assert len(str(err.value)) < 1_000, "huge input must be clipped in the message"
    with pytest.raises(tasksync.InvalidInputError):
        engine.check_sync_needed("s", bad)
    assert store.snapshot("s") == before


def test_unknown_status_names_the_known_ones() -> None:
    with pytest.raises(tasksync.InvalidInputError) as err:
        tasksync.TransitionRules().allows("draft", "bogus")
    assert "bogus" in str(err.value) and "in_progress" in str(err.value)


@pytest.mark.parametrize(
    "policy",
    [{"max_delete_ratio": 2.0}, {"writable": ["nope"]}, {"strategy": "coin_flip"}, "policy", 3],
)
def test_a_bad_policy_is_invalid_input(policy: Any) -> None:
    engine, _ = engine_with_one_task()
    with pytest.raises(tasksync.InvalidInputError):
        engine.preview("s", GOOD, policy)


def test_wrong_argument_types() -> None:
    engine, _ = engine_with_one_task()
    with pytest.raises(tasksync.InvalidInputError):
        engine.execute({"scope": 1}, confirmed=True)  # type: ignore[arg-type]
    with pytest.raises(tasksync.InvalidInputError):
        engine.execute("{broken", confirmed=True)
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.SyncEngine(object())
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.Policy(max_delete_floor="ten")
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.Backoff(max_attempts=0)
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.StatusMapping("carrier_pigeon")
    with pytest.raises(TypeError):
        engine.preview(1, GOOD)  # type: ignore[arg-type]


def test_deep_nesting_is_refused() -> None:
    nested: Any = []
    for _ in range(200):
        nested = [nested]
    bad = {
        "source": "f",
        "items": [{"external_id": "a", "kind": "task", "title": "A", "fields": {"x": nested}}],
        "complete": True,
    }
    with pytest.raises(tasksync.InvalidInputError):
        tasksync.SyncEngine(tasksync.MemoryStore()).preview("s", bad)


def test_a_rust_panic_is_an_internal_error() -> None:
    with pytest.raises(tasksync.InternalError) as err:
        tasksync._native._panic_for_tests()
    assert err.value.code == "internal"
    assert isinstance(err.value, tasksync.TasksyncError)
    # The module still works afterwards.
    assert tasksync.SyncEngine(tasksync.MemoryStore()).check_sync_needed("s", GOOD)


def test_every_error_kind_has_a_class_with_its_code() -> None:
    codes = dict(tasksync.error_codes())
    for name, code in codes.items():
        cls = getattr(tasksync, name)
        assert issubclass(cls, tasksync.TasksyncError) and cls.code == code
    assert len(set(codes.values())) == len(codes)
