"""``ETag`` / ``If-Match`` for updates of rows with an ``updated_at``.

The version is the row's ``updated_at`` (microseconds). ``If-Match`` is optional on these
resources (a client without it edits the latest), but a stale one is refused with 412 and
changes nothing. Programs use a stricter scheme of their own (ADR 0004).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from careboard.core.problems import PreconditionFailed


def etag_of(instance: Any) -> str:
    return f'"{int(instance.updated_at.timestamp() * 1_000_000)}"'


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def check_if_match(request: Request, instance: Any) -> None:
    """Raise 412 when the request names a version that is no longer current."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return
    if etag_of(instance) not in _tags(header):
        raise PreconditionFailed()


def with_etag(response: Response, instance: Any) -> Response:
    response["ETag"] = etag_of(instance)
    return response


class VersionedObjectMixin:
    """For a viewset: every write to one object checks ``If-Match`` (412 when stale), and
    every successful answer about one object carries its ``ETag``."""

    versioned = True

    def get_object(self) -> Any:
        obj = super().get_object()  # type: ignore[misc]
        if self.request.method in ("PUT", "PATCH", "POST", "DELETE"):  # type: ignore[attr-defined]
            check_if_match(self.request, obj)  # type: ignore[attr-defined]
        self._versioned_object = obj
        return obj

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        obj = getattr(self, "_versioned_object", None)
        if obj is not None and 200 <= response.status_code < 300 and "ETag" not in response:
            response["ETag"] = etag_of(obj)
        return response
