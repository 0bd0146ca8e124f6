"""Querysets compiled once: the reads every request makes, without the ORM's compile cost.

Turning a queryset into SQL (joins, select list, converters) costs more CPU than running a
small indexed query: for the token lookup, the caller's roles and the ward board it was
about a third of each request's CPU. A ``PreparedQuery`` keeps the ORM as the one
definition of the query: it builds the queryset once per database with a placeholder
value for each parameter, keeps the SQL and the result converters Django chose, and on
each call binds the real values in the placeholders' places and runs the SQL through
Django's cursor (so query counting, logging and the metrics wrapper still see it).

Only queries whose shape does not depend on the values qualify: scalar equality
parameters (a ``__in`` list, or a ``None`` that becomes ``IS NULL``, would change the SQL).
"""

from __future__ import annotations

import functools
import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler

# What a parameter value may become on its way to the driver, per backend: UUIDs stay
# objects on PostgreSQL and become hex text on SQLite.
_FORMS: tuple[Callable[[Any], Any], ...] = (
    lambda value: value,
    lambda value: value.hex if isinstance(value, uuid.UUID) else value,
    str,
)
_counter = itertools.count(1)


def _placeholder(kind: type) -> Any:
    """A value of ``kind`` that no real parameter will equal."""
    number = next(_counter)
    if kind is uuid.UUID:
        return uuid.UUID(int=(0xC0FFEE << 100) + number)
    if kind is int:
        return 7_340_032_000_000_000 + number
    if kind is str:
        return f"\x1fplaceholder-{number}\x1f"
    raise TypeError(f"Unsupported parameter type: {kind!r}")


def _cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """Django's cursor, except on PostgreSQL: one that binds on the server and prepares
    its statement (wrapped as Django wraps its own, so counting and logging see it). A
    pooled connection then parses and plans the same SQL once, not on every request;
    Django's own cursors bind on the client and never prepare."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = _preparing_cursor_class()(connection.connection)
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    return wrapper(raw, connection)


class _LoggedCursor(CursorDebugWrapper):
    """Django's debug cursor, logging the statement with its values as Django's client-side
    cursors do (it reads them from the cursor, and a prepared one has none to give)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


@functools.cache
def _preparing_cursor_class() -> type:
    import psycopg  # only on PostgreSQL

    class PreparingCursor(psycopg.Cursor[Any]):
        def execute(
            self, query: Any, params: Any = None, *, binary: bool | None = None, **_: Any
        ) -> PreparingCursor:
            super().execute(query, params, prepare=True, binary=binary)
            return self

    return PreparingCursor


class _Compiled:
    def __init__(self, sql: str, params: list[Any], slots: dict[int, tuple[str, Any]]) -> None:
        self.sql = sql
        self.params = params
        # position in params -> (parameter name, how its value is sent)
        self.slots = slots
        self.names: list[str] = []
        self.converters: list[tuple[int, list[Any], Any]] = []


class PreparedQuery:
    """``build(**values)`` compiled once per database; call ``rows``/``dicts`` with values.

    ``parameters`` names each parameter and its type (``uuid.UUID``, ``int`` or ``str``).
    The queryset ``build`` returns must be a ``values()`` or ``values_list()`` queryset.
    """

    def __init__(self, build: Callable[..., QuerySet[Any]], **parameters: type) -> None:
        self.build = build
        self.parameters = parameters
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, using: str) -> _Compiled:
        placeholders = {name: _placeholder(kind) for name, kind in self.parameters.items()}
        queryset = self.build(**placeholders).using(using)
        compiler: SQLCompiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        slots: dict[int, tuple[str, Any]] = {}
        for name, value in placeholders.items():
            found = [
                (position, form)
                for position, param in enumerate(params)
                for form in _FORMS
                if param == form(value)
            ]
            positions = {position for position, _form in found}
            if len(positions) != 1:
                raise ValueError(
                    f"Parameter {name!r} appears {len(positions)} times in the SQL: "
                    "a PreparedQuery needs each exactly once."
                )
            position, form = found[0]
            slots[position] = (name, form)
        compiled = _Compiled(sql, list(params), slots)
        query = queryset.query
        compiled.names = [*query.extra_select, *query.values_select, *query.annotation_select]
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        compiled.converters = [
            (position, converters, expression)
            for position, (converters, expression) in compiler.get_converters(fields).items()
        ]
        return compiled

    def compiled(self, using: str = DEFAULT_DB_ALIAS) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using)
                if compiled is None:
                    compiled = self._compiled[using] = self._compile(using)
        return compiled

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> Iterator[list[Any]]:
        """The result rows (lists in the queryset's column order), converted as the ORM
        converts them."""
        compiled = self.compiled(using)
        params = list(compiled.params)
        for position, (name, form) in compiled.slots.items():
            value = values[name]
            if value is None or not isinstance(value, self.parameters[name]):
                raise TypeError(f"{name} must be a {self.parameters[name].__name__}.")
            params[position] = form(value)
        connection = connections[using]
        with _cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        converters = compiled.converters
        for row in fetched:
            values_row = list(row)
            for position, convs, expression in converters:
                value = values_row[position]
                for converter in convs:
                    value = converter(value, expression, connection)
                values_row[position] = value
            yield values_row

    def dicts(self, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[dict[str, Any]]:
        """The rows as ``{column: value}``, like ``values()``."""
        names = self.compiled(using).names
        return [dict(zip(names, row, strict=True)) for row in self.rows(using, **values)]


class PreparedInsert:
    """``instance.save(force_insert=True)`` for an append-only model whose rows are written
    on every request (the access log): the INSERT's SQL built once per database, each
    value prepared for the database by its field as the ORM prepares it. The primary key
    is not read back."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.fields = [
            field
            for field in model._meta.local_concrete_fields
            # The database numbers the rows (as the ORM leaves an unset AutoField out).
            if not field.generated and field is not model._meta.auto_field
        ]
        self._sql: dict[str, str] = {}

    def sql(self, using: str = DEFAULT_DB_ALIAS) -> str:
        sql = self._sql.get(using)
        if sql is None:
            qn = connections[using].ops.quote_name
            columns = ", ".join(qn(field.column) for field in self.fields)
            placeholders = ", ".join(["%s"] * len(self.fields))
            # Quoted names from the model's own metadata; the values are parameters.
            table = qn(self.model._meta.db_table)
            sql = self._sql[using] = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        return sql

    def insert(self, instance: Model, using: str = DEFAULT_DB_ALIAS) -> None:
        """Write ``instance`` as a new row (``full_clean`` is the caller's, as for save)."""
        connection = connections[using]
        params = [
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for field in self.fields
        ]
        with _cursor(connection) as cursor:
            cursor.execute(self.sql(using), params)
        instance._state.adding = False
        instance._state.db = using
