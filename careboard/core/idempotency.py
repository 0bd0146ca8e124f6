"""``Idempotency-Key`` for creates: the same key and body replays the first answer; the same
key with another body is 409.

Use ``idempotent`` on a DRF view method that creates. The key's record is written in the
request's transaction (ATOMIC_REQUESTS), so a failed request leaves none and may be retried
with the same key; a concurrent duplicate waits on the unique index and then replays.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from careboard.core.models import IdempotentRequest
from careboard.core.problems import Conflict

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Keys are client-made (a UUID is typical); refuse anything that is not short and plain.
_VALID_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,100}$")
# How long a key is remembered (a retry comes within minutes; a day is plenty).
RETENTION = timedelta(days=1)


def _scope(request: Request) -> str:
    return f"user:{request.user.pk}" if request.user and request.user.is_authenticated else "anon"


def _body_hash(request: Request) -> str:
    canonical = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _replay(record: IdempotentRequest, body_hash: str) -> Response:
    if record.body_hash != body_hash:
        raise Conflict("This Idempotency-Key was used for a different request.")
    return Response(record.response, status=record.status, headers={REPLAYED_HEADER: "true"})


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A unique key (e.g. a UUID) per create. A retry with the same key and body replays "
        "the first answer (header `Idempotent-Replayed: true`); another body is 409."
    ),
)


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Make a create idempotent under the ``Idempotency-Key`` header (absent: unchanged)."""

    @functools.wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not _VALID_KEY.match(key):
            raise ValidationError(
                {HEADER: ["Use 8 to 100 letters, digits or . _ : - (a UUID, for example)."]}
            )
        scope, body_hash = _scope(request), _body_hash(request)
        existing = IdempotentRequest.objects.filter(scope=scope, key=key).first()
        if existing is not None:
            return _replay(existing, body_hash)
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    scope=scope,
                    key=key,
                    method=request.method or "",
                    path=request.path[:300],
                    body_hash=body_hash,
                )
        except IntegrityError:
            # A concurrent request with this key committed first: answer as it did.
            return _replay(IdempotentRequest.objects.get(scope=scope, key=key), body_hash)
        response = view_method(self, request, *args, **kwargs)
        if 200 <= response.status_code < 300:
            record.status = response.status_code
            record.response = json.loads(json.dumps(response.data, default=str))
            record.save(update_fields=["status", "response"])
        else:
            # Not a success: forget the key, so that a corrected retry may use it again.
            record.delete()
        return response

    # A marker the schema reads to document the 409.
    wrapper.idempotent = True  # type: ignore[attr-defined]
    return extend_schema(parameters=[IDEMPOTENCY_PARAMETER])(wrapper)


def forget_expired(*, now: Any = None) -> int:
    """Delete records older than ``RETENTION`` (run from the periodic sweep)."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
