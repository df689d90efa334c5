"""The private event loop that runs a host's ``async def`` methods for blocking calls.

A blocking engine call (``preview``, not ``preview_async``) may reach a host store or provider
whose methods are coroutines. They cannot run on the caller's loop (the caller is blocked in
the call), so they run here, on one daemon thread with its own loop. A coroutine submitted from
that very thread (a host coroutine calling a blocking engine method) gets a fresh loop on a new
thread instead, so nothing ever waits on a loop it is blocking.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _ensure() -> asyncio.AbstractEventLoop:
    global _loop, _thread
    with _lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="tasksync-hostloop", daemon=True
            )
            thread.start()
            _loop, _thread = loop, thread
        return _loop


async def _await(aw: Awaitable[Any]) -> Any:
    return await aw


def run(aw: Awaitable[Any]) -> Any:
    """Runs an awaitable to completion from a thread that must block, and returns its result."""
    loop = _ensure()
    if threading.current_thread() is _thread:
        box: dict[str, Any] = {}

        def nested() -> None:
            try:
                box["value"] = asyncio.run(_await(aw))
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc

        t = threading.Thread(target=nested, name="tasksync-hostloop-nested")
        t.start()
        t.join()
        if "error" in box:
            raise box["error"]
        return box.get("value")
    return asyncio.run_coroutine_threadsafe(_await(aw), loop).result()


def spawn(aw: Awaitable[Any]) -> None:
    """Schedules an awaitable without waiting for it (an ``async def emit``)."""
    asyncio.run_coroutine_threadsafe(_await(aw), _ensure())
