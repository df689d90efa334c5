"""Transitions, status mappings, retry policies, providers and token refreshers."""

from __future__ import annotations

from typing import Any

import pytest
import tasksync


def task(ext: str, status: str, parent: Any = None) -> dict[str, Any]:
    return {
        "id": tasksync.hub_id("p", ext),
        "source": "p",
        "external_id": ext,
        "scope": "s",
        "kind": "step",
        "title": ext,
        "status": status,
        "parent": parent,
        "fields": {},
        "base": None,
        "version": 1,
        "created_at": 0,
        "updated_at": 0,
    }


def test_transition_rules() -> None:
    rules = tasksync.TransitionRules()
    assert rules.allows("draft", "pending") and not rules.allows("draft", "completed")
    with pytest.raises(tasksync.InvalidTransitionError) as err:
        rules.plan(task("a", "draft"), "completed")
    assert err.value.code == "invalid_transition"
    changes = rules.plan(task("a", "pending"), "in_progress")
    assert changes[0]["from"] == "pending" and changes[0]["to"] == "in_progress"
    assert tasksync.statuses()[0] == "draft" and tasksync.is_terminal("cancelled")


def test_status_mapping_round_trip() -> None:
    mapping = tasksync.StatusMapping("ms_todo")
    mapped = mapping.to_provider("completed", {"status": "notStarted"}, 0)
    assert mapping.from_provider(mapped["payload"]) == "completed"
    assert mapping.from_provider(mapped["undo"]["payload"]) == "pending"
    assert tasksync.iso8601(0).startswith("1970-01-01T00:00:00")


def test_backoff_classify_breaker_limiter() -> None:
    backoff = tasksync.Backoff(base_ms=100, max_attempts=3)
    assert [backoff.delay_ms(a) for a in (1, 2, 3)] == [100, 200, 400]
    assert tasksync.classify(None, 1, 0, backoff) == {"outcome": "succeeded"}
    timeout = {"class": "timeout", "provider": "p", "message": "slow"}
    assert tasksync.classify(timeout, 1, 1_000, backoff) == {"outcome": "retry_at", "at": 1_100}
    assert tasksync.classify(timeout, 3, 0, backoff)["outcome"] == "dead"
    breaker = tasksync.Breaker(failure_threshold=1, open_ms=500)
    assert breaker.try_acquire(0) is None
    breaker.on_failure(0)
    assert breaker.try_acquire(10) == 500 and breaker.state["state"] == "open"
    limiter = tasksync.RateLimiter(0, per_second=1.0, burst=1)
    assert limiter.try_acquire(0) is None and limiter.try_acquire(0) is not None


def test_host_provider_sync_and_async() -> None:
    class Todo:
        name = "mstodo"

        def list(self, scope: str) -> dict[str, Any]:
            return {
                "source": "mstodo",
                "items": [{"external_id": "1", "kind": "task", "title": scope}],
                "complete": True,
            }

        async def push(self, change: dict[str, Any]) -> dict[str, Any]:
            if change["status"] == "blocked":
                raise tasksync.provider_error("rate_limited", "mstodo", retry_after_ms=30)
            return {"remote": {"status": change["status"]}}

    provider = tasksync.Provider(Todo())
    assert provider.name == "mstodo" and provider.list("wo")["items"][0]["title"] == "wo"
    push = {
        "job_id": "j",
        "idempotency_key": "k",
        "task_id": "t",
        "external_id": "1",
        "kind": "task",
        "status": "completed",
        "payload": {},
        "attempt": 1,
    }
    assert provider.push(push) == {"remote": {"status": "completed"}}
    with pytest.raises(tasksync.ProviderError) as err:
        provider.push({**push, "status": "blocked"})
    assert "retry after 30 ms" in str(err.value)


def test_token_refresher_never_leaks_the_token() -> None:
    class Vault:
        def refresh(self, provider: str) -> str:
            return "s3cr3t-token"

    refresher = tasksync.TokenRefresher(Vault())
    assert refresher.check("mstodo") is True
    assert "s3cr3t" not in repr(refresher)
