"""Copy a generated organisation inside PostgreSQL: the region scale's other nine hospitals.

Generating a hospital's charts takes minutes of Python per organisation; copying one takes
seconds of SQL. The region scale measures how the queries behave with ten times the rows
(indexes, not scans), for which copies with fresh ids serve as well as new charts: every
row of the organisation is inserted again by ``INSERT … SELECT`` with a new primary key,
its foreign keys pointed at the copies, unique values made unique (slug, e-mail, public
ids). JSON snapshots (an assignment's frozen program) keep the ids they were frozen with.
All in one transaction, without foreign-key triggers (``session_replication_role``: the
references hold by construction; a superuser's setting, as the benchmark's database user
is), so the tables can go in any order.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction

from careboard.builder.models import (
    ActivityLog,
    Assignment,
    Exercise,
    Program,
    ProgramItem,
    ProgramSession,
)
from careboard.organizations.models import Membership, Organization, Ward
from careboard.patients.models import Admission, Observation, Patient, PhaseChange
from careboard.users.models import User

# Each copied model with the lookup from it to its organisation.
_OWNED: tuple[tuple[type[models.Model], str], ...] = (
    (Organization, "pk"),
    (Ward, "organization"),
    (User, "memberships__organization"),
    (Membership, "organization"),
    (Patient, "organization"),
    (Admission, "ward__organization"),
    (Observation, "admission__ward__organization"),
    (PhaseChange, "admission__ward__organization"),
    (Exercise, "organization"),
    (Program, "organization"),
    (ProgramSession, "program__organization"),
    (ProgramItem, "session__program__organization"),
    (Assignment, "organization"),
    (ActivityLog, "assignment__organization"),
)


def _map_table(model: type[models.Model]) -> str:
    return f"_copy_map_{model._meta.db_table}"


def _new_key(model: type[models.Model]) -> str:
    pk = model._meta.pk
    if isinstance(pk, models.UUIDField):
        return "gen_random_uuid()"
    table, column = model._meta.db_table, pk.column
    return f"nextval(pg_get_serial_sequence('{table}', '{column}'))"


def _column_value(
    model: type[models.Model],
    field: models.Field[Any, Any],
    *,
    slug: str,
    name: str,
    time_zone: str,
) -> tuple[str, str]:
    """The SELECT expression of one column of the copy, and the join it needs ('' if none)."""
    column = field.column
    copied = {m for m, _path in _OWNED}
    if field.primary_key:
        return "m.new", ""
    related = field.related_model  # a model, or "self" where a relation is not yet resolved
    if field.is_relation and isinstance(related, type) and related in copied:
        alias = f"f_{column}"
        join = f"LEFT JOIN {_map_table(related)} {alias} ON {alias}.old = t.{column}"
        # A reference outside the organisation (none are generated) keeps its value.
        return f"COALESCE({alias}.new, t.{column})", join
    if model is Organization and column == "slug":
        return "%(slug)s", ""
    if model is Organization and column == "name":
        return "%(name)s", ""
    if model is Organization and column == "time_zone":
        return "%(time_zone)s", ""
    if model is User and column == "email":
        return "split_part(t.email, '@', 1) || '@' || %(slug)s || '.example.org'", ""
    if field.unique and isinstance(field, models.UUIDField):
        return "gen_random_uuid()", ""
    if field.unique:
        raise ValueError(f"No rule to copy the unique column {model.__name__}.{column}")
    return f"t.{column}", ""


def copy_organization(
    source: Organization, *, slug: str, name: str, time_zone: str
) -> dict[str, int]:
    """Insert a copy of ``source`` with everything in it; returns rows per table."""
    if connection.vendor != "postgresql":
        raise RuntimeError("Copying an organisation needs PostgreSQL.")
    params: dict[str, Any] = {"slug": slug, "name": name, "time_zone": time_zone}
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # The copy's references hold by construction (each points at a copied row, or at
        # the same row as the original's): no foreign-key trigger per inserted row, which
        # for ten million observations would queue tens of millions of checks at commit.
        cursor.execute("SET LOCAL session_replication_role = replica")
        for model, path in _OWNED:
            ids = model._default_manager.filter(**{path: source.pk}).values("pk").distinct()
            sql, ids_params = ids.query.sql_with_params()
            table = _map_table(model)
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            cursor.execute(
                f"CREATE TEMP TABLE {table} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT old, {_new_key(model)} AS new FROM ({sql}) AS ids(old)",
                ids_params,
            )
            cursor.execute(f"CREATE UNIQUE INDEX ON {table} (old)")
            cursor.execute(f"ANALYZE {table}")
        for model, _path in _OWNED:
            meta = model._meta
            columns, values, joins = [], [], []
            for field in meta.concrete_fields:
                value, join = _column_value(model, field, slug=slug, name=name, time_zone=time_zone)
                columns.append(field.column)
                values.append(value)
                if join:
                    joins.append(join)
            # %(…)s are the only placeholders; a literal % in a column name cannot occur.
            cursor.execute(
                f"INSERT INTO {meta.db_table} ({', '.join(columns)}) "  # noqa: S608
                f"SELECT {', '.join(values)} FROM {meta.db_table} t "
                f"JOIN {_map_table(model)} m ON m.old = t.{meta.pk.column} {' '.join(joins)}",
                params,
            )
            counts[meta.db_table] = cursor.rowcount
    return counts
