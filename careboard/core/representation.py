"""A serializer's output without building its fields again for every object.

DRF builds a ``ModelSerializer``'s fields anew for every serializer instance (the model
field → serializer field mapping, about forty fields for an observation): for one object
per request that costs more than the serialisation itself. ``Representation`` keeps one
instance of the serializer, built once, and asks it for ``to_representation`` of each
object: the same fields, the same output (``serializer.data`` is that dict wrapped).

Only for serializers whose output does not depend on a context (no request, no view):
the kept instance has none. Reading objects is all it does, so threads may share it.
"""

from __future__ import annotations

import threading
from typing import Any

from rest_framework import serializers


class Representation:
    """``serializer_class(obj).data`` as a plain dict, the fields built once."""

    def __init__(self, serializer_class: type[serializers.BaseSerializer[Any]]) -> None:
        self.serializer_class = serializer_class
        self._kept: serializers.BaseSerializer[Any] | None = None
        self._lock = threading.Lock()

    def _serializer(self) -> serializers.BaseSerializer[Any]:
        kept = self._kept
        if kept is None:
            with self._lock:
                if self._kept is None:
                    made = self.serializer_class()
                    # Build the fields now, under the lock: later calls only read them.
                    if isinstance(made, serializers.Serializer):
                        made.fields  # noqa: B018  (a cached property: this builds them)
                    self._kept = made
                kept = self._kept
        return kept

    def __call__(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = self._serializer().to_representation(instance)
        return data
