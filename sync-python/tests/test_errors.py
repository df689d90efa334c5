"""Errors the same in every binding: a caught Rust panic is the core's `internal` error, and a
provider failure keeps the core's structured parts (class, HTTP status, retry delay) as
exception attributes, whichever way it came out of the core."""

from __future__ import annotations

from typing import Any

import pytest
import tasksync

PUSH = {
    "job_id": "j",
    "idempotency_key": "k",
    "task_id": "t",
    "external_id": "1",
    "kind": "task",
    "status": "completed",
    "payload": {},
    "attempt": 1,
}


def test_a_caught_panic_is_the_cores_internal_error() -> None:
    with pytest.raises(tasksync.InternalError) as err:
        tasksync._native._panic_for_tests()
    assert err.value.code == "internal" == dict(tasksync.error_codes())["InternalError"]
    assert str(err.value).startswith("internal error (a bug in tasksync): Rust panic: ")
    assert "panic requested by _panic_for_tests" in str(err.value)


class Failing:
    """A host provider whose list and push raise what the test gives."""

    name = "mstodo"

    def __init__(self, raised: BaseException) -> None:
        self.raised = raised

    def list(self, scope: str) -> dict[str, Any]:
        raise self.raised

    async def push(self, change: dict[str, Any]) -> dict[str, Any]:
        raise self.raised


def failure(cls: str, **fields: Any) -> tasksync.ProviderError:
    return tasksync.provider_error(cls, "mstodo", **fields)


CASES: list[tuple[BaseException, str, int | None, int | None]] = [
    (failure("rejected", status=422, message="no"), "rejected", 422, None),
    (failure("rate_limited", retry_after_ms=30), "rate_limited", None, 30),
    (failure("unavailable", status=503, message="busy"), "unavailable", 503, None),
    (failure("unavailable", status=0, message="refused"), "unavailable", None, None),
    (failure("timeout", message="slow"), "timeout", None, None),
    (failure("token_expired"), "token_expired", None, None),
    # Anything else a host raises is a retryable outage without an HTTP answer.
    (RuntimeError("socket closed"), "unavailable", None, None),
]


@pytest.mark.parametrize(("raised", "cls", "status", "delay"), CASES)
def test_a_host_provider_failure_keeps_its_structured_parts(
    raised: BaseException, cls: str, status: int | None, delay: int | None
) -> None:
    provider = tasksync.Provider(Failing(raised))
    # list: what a preview reads; push: what the worker sends.
    for path in ("list", "push"):
        with pytest.raises(tasksync.ProviderError) as err:
            if path == "list":
                provider.list("wo")
            else:
                provider.push(PUSH)
        e = err.value
        assert e.code == "provider"
        assert (e.provider, e.provider_class, e.http_status, e.retry_after_ms) == (
            "mstodo",
            cls,
            status,
            delay,
        )
        assert e.provider_error["class"] == cls


def test_provider_error_builds_the_same_exception_the_core_raises() -> None:
    err = tasksync.provider_error("rejected", "mstodo", status=403, message="forbidden")
    assert isinstance(err, tasksync.ProviderError) and err.code == "provider"
    assert (err.provider, err.provider_class, err.http_status, err.retry_after_ms) == (
        "mstodo",
        "rejected",
        403,
        None,
    )
    assert "HTTP 403" in str(err) and "forbidden" in str(err)


def test_a_caught_provider_error_re_raised_by_a_host_keeps_its_class() -> None:
    raised = tasksync.provider_error("rate_limited", "inner", retry_after_ms=5)
    inner = tasksync.Provider(Failing(raised))

    class Relay:
        name = "relay"

        def list(self, scope: str) -> dict[str, Any]:
            return inner.list(scope)  # raises the core's ProviderError, re-raised as is

        def push(self, change: dict[str, Any]) -> dict[str, Any]:
            return {}

    with pytest.raises(tasksync.ProviderError) as err:
        tasksync.Provider(Relay()).list("wo")
    assert (err.value.provider, err.value.provider_class, err.value.retry_after_ms) == (
        "inner",
        "rate_limited",
        5,
    )
