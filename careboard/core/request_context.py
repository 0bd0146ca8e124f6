"""The current request id, for logs (imported by logging config: keep it free of Django)."""

from __future__ import annotations

import contextvars
import logging

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id of the request being handled in this context, or ``-`` outside a request."""
    return _request_id.get()


def bind_request_id(request_id: str) -> contextvars.Token[str]:
    return _request_id.set(request_id)


def unbind_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True
