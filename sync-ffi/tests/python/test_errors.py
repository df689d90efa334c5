"""Errors the same in every binding, through the generated Python bindings: a caught Rust panic
is the core's internal error (`TasksyncError.Internal`), and a provider failure keeps the core's
structured parts (class, HTTP status, retry delay) as fields of `TasksyncError.Provider`."""

from __future__ import annotations

import asyncio
import unittest

import tasksync_ffi as ts
from hosts import PyProvider

CORE_PANIC = "internal error (a bug in tasksync): Rust panic: "


class Failing(PyProvider):
    """A provider whose list raises the given ProviderError."""

    def __init__(self, raised: ts.ProviderError) -> None:
        super().__init__("mstodo", None)
        self.raised = raised

    async def list(self, scope: str) -> ts.Listing:
        raise self.raised


class Refusing(ts.TokenRefresher):
    async def refresh(self, provider: str) -> str:
        raise ts.ProviderError.Rejected(provider=provider, status=400, detail="revoked")


CASES = [
    (ts.ProviderError.Rejected(provider="mstodo", status=422, detail="no"), "rejected", 422, None),
    (ts.ProviderError.RateLimited(provider="mstodo", retry_after_ms=2000), "rate_limited", None, 2000),
    (ts.ProviderError.Unavailable(provider="mstodo", status=503, detail="x"), "unavailable", 503, None),
    (ts.ProviderError.Unavailable(provider="mstodo", status=0, detail="x"), "unavailable", None, None),
    (ts.ProviderError.Timeout(provider="mstodo", detail="slow"), "timeout", None, None),
    (ts.ProviderError.TokenExpired(provider="mstodo"), "token_expired", None, None),
]


class Errors(unittest.TestCase):
    def test_a_caught_panic_is_the_cores_internal_error(self) -> None:
        async def run() -> None:
            for in_future in (False, True):
                with self.assertRaises(ts.TasksyncError.Internal) as err:
                    await ts.panic_for_tests(in_future)
                detail = err.exception.detail
                self.assertTrue(detail.startswith(CORE_PANIC), detail)
                self.assertIn("test panic", detail)
            # The library keeps working afterwards.
            engine = ts.SyncEngine(ts.HubStore.memory())
            listing = ts.Listing(source="files", items=[], complete=True)
            self.assertTrue((await engine.preview("s", listing, ts.default_policy())).is_empty())

        asyncio.run(run())

    def test_a_provider_failure_keeps_its_structured_parts(self) -> None:
        async def run() -> None:
            engine = ts.SyncEngine(ts.HubStore.memory())
            for raised, cls, status, delay in CASES:
                provider = Failing(raised)
                # preview_from: the engine's path; list_from: the provider contract alone.
                for call in (
                    lambda: engine.preview_from(provider, "s", ts.default_policy()),
                    lambda: ts.list_from(provider, "s"),
                ):
                    with self.assertRaises(ts.TasksyncError.Provider) as err:
                        await call()
                    e = err.exception
                    self.assertEqual(
                        (e.provider, e.provider_class, e.http_status, e.retry_after_ms),
                        ("mstodo", cls, status, delay),
                        cls,
                    )

        asyncio.run(run())

    def test_a_token_refresher_failure_carries_the_same_fields(self) -> None:
        async def run() -> None:
            with self.assertRaises(ts.TasksyncError.Provider) as err:
                await ts.check_token_refresher(Refusing(), "mstodo")
            e = err.exception
            self.assertEqual(
                (e.provider, e.provider_class, e.http_status, e.retry_after_ms),
                ("mstodo", "rejected", 400, None),
            )

        asyncio.run(run())


if __name__ == "__main__":
    unittest.main()
