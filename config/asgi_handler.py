"""Django's ASGI handler, reusing the thread a request's synchronous part runs on.

Under ASGI, Django runs the synchronous middleware and views of each request in a
``ThreadSensitiveContext``, which by default makes a new single-thread executor, and so
starts and stops a thread, for every request: about a millisecond of each request here
(seen with py-spy on the ward board, the event loop waiting in ``Thread.start``). This
handler lends each request an idle executor kept from earlier requests instead (asgiref's
``ThreadSensitiveContext(executor=...)``), with the same rule: one request's synchronous
code on one thread, one call at a time. Thread-local state is handled as under a threaded
WSGI server: Django's request signals close or return the database connection at the end
of every request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler


class RequestThread(ThreadPoolExecutor):
    """A one-thread executor that knows whether it still runs something."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="django-request")
        self._pending = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            self._pending += 1

        def run() -> Any:
            # Counted down on the thread, before the future is done: whoever awaited it
            # sees the executor idle as soon as it resumes.
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._pending -= 1

        return super().submit(run)

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._pending == 0


class ReusedThreadASGIHandler(ASGIHandler):
    """``ASGIHandler`` lending each request an idle ``RequestThread``."""

    def __init__(self) -> None:
        super().__init__()
        # Only the event loop's thread takes and returns executors: no lock needed.
        self._idle: list[RequestThread] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self._idle.pop() if self._idle else RequestThread()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            # A request the client gave up on may leave its view still running on the
            # thread: that executor finishes its work and goes, it is not lent again.
            if executor.idle:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)
