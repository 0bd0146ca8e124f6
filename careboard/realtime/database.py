"""channels' ``database_sync_to_async``, with its type.

channels ships no type information, so the decorator would turn every function it wraps
into an untyped one; this wrapper keeps the wrapped function's parameters and result.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async as _channels_database_sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def database_sync_to_async(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Run ``func`` in a worker thread, closing stale database connections around it (what
    channels does for its consumers), awaitable from async code."""
    wrapped: Callable[P, Coroutine[Any, Any, R]] = _channels_database_sync_to_async(func)
    return wrapped
