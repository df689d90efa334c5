"""The coroutine every ``*_async`` method returns.

The native method hands over ``start``, a function that submits the core's work to the
runtime and returns an awaitable for its result. Calling ``start`` needs a running event
loop, so it happens here, when the coroutine first runs, and not when the ``*_async`` method is
called: ``asyncio.run(engine.preview_async(...))`` works.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


async def deferred(start: Callable[[], Awaitable[Any]]) -> Any:
    """Starts the native work on the running loop and returns its result."""
    return await start()
