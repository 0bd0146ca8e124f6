"""Bulk inserts: PostgreSQL COPY (psycopg 3 ``cursor.copy``), ``bulk_create`` elsewhere.

Rows are dicts keyed by field ``attname``. On PostgreSQL each row becomes one line of
COPY's text format in the model's column order (missing fields take the field default);
on other databases rows become model instances saved with ``bulk_create`` in batches.
No signals, no ``save()``: callers compute derived fields (scores, search text) first.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def copy_text(value: Any) -> str:
    """One value in COPY's text format (``\\N`` for NULL)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, int | Decimal | uuid.UUID | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


class Table:
    """How rows of one model are written: columns, defaults and value converters."""

    def __init__(self, model: type[models.Model], *, skip: Iterable[str] = ()) -> None:
        self.model = model
        skipped = set(skip)
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if f.attname not in skipped and not isinstance(f, models.AutoField)
        ]
        self.columns = [f.column for f in self.fields]
        self.name = model._meta.db_table
        self._defaults: list[Callable[[], Any]] = [self._default_for(f) for f in self.fields]
        self._prep: list[Callable[[Any], Any] | None] = [self._prep_for(f) for f in self.fields]
        self._attnames = [f.attname for f in self.fields]

    @staticmethod
    def _default_for(field: models.Field[Any, Any]) -> Callable[[], Any]:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return timezone.now
        if field.has_default():
            return field.get_default
        if field.null:
            return lambda: None
        if isinstance(field, models.CharField | models.TextField):
            return lambda: ""
        name = field.attname

        def missing() -> Any:
            raise KeyError(f"{field.model.__name__}.{name} has no value and no default")

        return missing

    @staticmethod
    def _prep_for(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        # Fields whose Python value is not what the column stores (CodeSetField: ",a,b,").
        if isinstance(field, models.JSONField):
            return None  # dicts and lists are dumped by copy_text
        if type(field).get_prep_value is not models.CharField.get_prep_value and isinstance(
            field, models.CharField
        ):
            return field.get_prep_value
        return None

    def values(self, row: dict[str, Any]) -> list[Any]:
        out = []
        for name, default, prep in zip(self._attnames, self._defaults, self._prep, strict=True):
            value = row[name] if name in row else default()
            if prep is not None and value is not None:
                value = prep(value)
            out.append(value)
        return out

    def line(self, row: dict[str, Any]) -> str:
        """The row as one line of COPY text."""
        return "\t".join(copy_text(v) for v in self.values(row)) + "\n"

    def copy_sql(self) -> str:
        qn = connection.ops.quote_name
        return f"COPY {qn(self.name)} ({', '.join(qn(c) for c in self.columns)}) FROM STDIN"


class Writer:
    """Buffers rows per table and writes them in batches; ``flush()`` writes the rest.

    Tables are flushed in the order they were first written to, so parents go first
    (PostgreSQL checks the deferred foreign keys at commit, SQLite at each insert).
    """

    def __init__(
        self, *, batch_size: int = 20_000, on_write: Callable[[str, int], None] | None = None
    ) -> None:
        self.batch_size = batch_size
        self.postgres = is_postgresql()
        self._tables: dict[type[models.Model], Table] = {}
        self._pending: dict[type[models.Model], list[Any]] = {}
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.on_write = on_write

    def table(self, model: type[models.Model], **kwargs: Any) -> Table:
        if model not in self._tables:
            self._tables[model] = Table(model, **kwargs)
            self._pending[model] = []
        return self._tables[model]

    def add(self, model: type[models.Model], row: dict[str, Any]) -> None:
        table = self.table(model)
        pending = self._pending[model]
        pending.append(table.line(row) if self.postgres else model(**row))
        if len(pending) >= self.batch_size:
            self.flush()

    def add_line(self, model: type[models.Model], line: str) -> None:
        """A row already formatted by ``Table.line`` (PostgreSQL only)."""
        self.table(model)
        pending = self._pending[model]
        pending.append(line)
        if len(pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        for model, pending in self._pending.items():
            if not pending:
                continue
            table = self._tables[model]
            started = time.perf_counter()
            if self.postgres:
                with connection.cursor() as cursor:
                    raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
                    with raw.copy(table.copy_sql()) as copy:
                        copy.write("".join(pending).encode())
            else:
                # Model instances: bulk_create fills auto_now fields with now; callers that
                # care (created_at of generated rows) update them afterwards if needed.
                model._default_manager.bulk_create(pending, batch_size=500)
            took = time.perf_counter() - started
            self.seconds[table.name] = self.seconds.get(table.name, 0.0) + took
            self.counts[table.name] = self.counts.get(table.name, 0) + len(pending)
            if self.on_write:
                self.on_write(table.name, len(pending))
            self._pending[model] = []
