"""Bulk import of observations: validated like the API, scored like ``assess``, written
with COPY (``manage.py import_observations`` is the command line over this module).

Where the time goes, and why it is spent once rather than per row:

- validation: ``ObservationRecordSerializer``'s own fields judge each raw value, and a
  field's verdict on a value it has seen is remembered (a field's validation depends on
  the value alone), so a file of bedside numbers costs a dictionary lookup per cell. The
  serializer's ``validate_<field>`` and ``validate`` run on every row. A row any of this
  refuses is validated again by the serializer as the API does, for the API's messages;
- scoring: ``assessment.score`` with the admission's rules built once, and for dengue
  admissions a ``DengueTimeline`` fed in time order instead of three queries per row;
- writing: observations and their history rows ("+", the importing user, reason
  ``import``) as two COPY streams; then every touched admission's board pointers are
  set by one query and one ``UPDATE … FROM`` on PostgreSQL (``admission_refresh``'s rules).
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import json
import queue
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers

from careboard.bench_data.bulk import copy_text, is_postgresql
from careboard.organizations import access
from careboard.organizations.models import Organization
from careboard.organizations.roles import Capability
from careboard.patients import assessment, events, services
from careboard.patients.api.serializers import ObservationRecordSerializer
from careboard.patients.models import Admission, Observation, ObservationStatus, Protocol
from careboard.users.models import User

KEY_FIELDS = ("admission", "mrn", "ward")
VALUE_FIELDS = tuple(ObservationRecordSerializer().fields)
HISTORY_REASON = "import"
# Values remembered per field: bedside numbers repeat, free text does not.
_REMEMBER_AT_MOST = 20_000
_NOT_REMEMBERED = {"notes", "recorded_at"}


class RejectedRowError(Exception):
    """A row that is not imported, with the reasons as "field: message" strings."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def flatten(detail: Any, prefix: str = "") -> list[str]:
    """DRF or Django error detail as "field: message" strings."""
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out.extend(flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
        return out
    if isinstance(detail, list):
        return [reason for item in detail for reason in flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


# --------------------------------------------------------------------------- reading


class UnknownColumnsError(ValueError):
    pass


def read_rows(stream: TextIO, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs from CSV (the header is line 1) or JSON lines.

    In CSV an empty cell is a missing value and ``warning_signs`` is a ``;``-separated
    list or a JSON array. A line that cannot be read becomes ``{"__error__": reason}``.
    """
    if fmt == "csv":
        yield from _read_csv(stream)
        return
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, {"__error__": f"Not JSON: {exc.msg}."}
            continue
        yield number, row if isinstance(row, dict) else {"__error__": "Not an object."}


def _read_csv(stream: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(stream)
    header = next(reader, None) or []
    unknown = [c for c in header if c not in (*KEY_FIELDS, *VALUE_FIELDS)]
    if unknown:
        raise UnknownColumnsError(f"Unknown column(s): {', '.join(unknown)}.")
    columns = list(enumerate(header))
    signs = header.index("warning_signs") if "warning_signs" in header else -1
    for cells in reader:
        if not cells:
            continue
        row = {name: cells[i] for i, name in columns if i < len(cells) and cells[i] != ""}
        if signs >= 0 and "warning_signs" in row:
            text = row["warning_signs"].strip()
            if text.startswith("["):
                try:
                    row["warning_signs"] = json.loads(text)
                except json.JSONDecodeError:
                    yield reader.line_num, {"__error__": "warning_signs: Not a JSON array."}
                    continue
            else:
                row["warning_signs"] = [s.strip() for s in text.split(";") if s.strip()]
        yield reader.line_num, row


# --------------------------------------------------------------------------- validation


class ValuesValidator:
    """``ObservationRecordSerializer().run_validation`` for many rows.

    Each field's ``run_validation`` decides on each raw value as it does for the API; a
    value it accepted once is accepted again without asking (keyed by type and value, so
    ``1``, ``1.0`` and ``True`` stay apart). Then the serializer's ``validate_<field>``
    methods and ``validate`` run as DRF runs them. Anything refused goes through the whole
    serializer again, so rejected rows get exactly the API's messages.
    """

    def __init__(self) -> None:
        self.serializer = ObservationRecordSerializer()
        self.fields = dict(self.serializer.fields)
        self._checks: dict[str, Callable[[Any], Any] | None] = {
            name: getattr(self.serializer, f"validate_{name}", None) for name in self.fields
        }
        self._seen: dict[str, dict[Any, Any]] = {name: {} for name in self.fields}

    def _field_value(self, name: str, raw: Any) -> Any:
        field = self.fields[name]
        if name in _NOT_REMEMBERED:
            return field.run_validation(raw)
        key: Any = (raw.__class__, tuple(raw) if isinstance(raw, list) else raw)
        seen = self._seen[name]
        try:
            value = seen[key]
        except TypeError:  # unhashable (a dict, a list of lists): ask the field each time
            return field.run_validation(raw)
        except KeyError:
            value = field.run_validation(raw)
            if len(seen) < _REMEMBER_AT_MOST:
                seen[key] = value
        # The one mutable value (a list) is copied: the row's list is its own.
        return list(value) if isinstance(value, list) else value

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """The validated values of ``data`` (keys outside the serializer are ignored, as
        DRF ignores them), or ``RejectedRowError`` with the API's messages."""
        try:
            attrs: dict[str, Any] = {}
            for name, raw in data.items():
                if name not in self.fields:
                    continue
                value = self._field_value(name, raw)
                check = self._checks[name]
                attrs[name] = check(value) if check is not None else value
            return dict(self.serializer.validate(attrs))
        except (serializers.ValidationError, DjangoValidationError):
            pass
        try:
            return dict(self.serializer.run_validation(data))
        except serializers.ValidationError as exc:
            raise RejectedRowError(flatten(exc.detail)) from None


# --------------------------------------------------------------------------- rows


@dataclasses.dataclass
class Row:
    line: int
    admission: Admission
    values: dict[str, Any]
    recorded_at: datetime


class Resolver:
    """Finds each row's admission (by id, or by MRN and ward at the row's time) and
    applies the API's scoping and the recording service's checks."""

    def __init__(self, *, by: User, allow_discharged: bool) -> None:
        self.by = by
        self.allow_discharged = allow_discharged
        self.by_id: dict[uuid.UUID, Admission] = {}
        self.by_mrn: dict[tuple[str, str], list[Admission]] = {}
        self._rights: dict[Any, tuple[bool, bool]] = {}
        self._keys: dict[Any, uuid.UUID | None] = {}

    def preload(self, rows: Iterable[dict[str, Any]]) -> None:
        """Fetch the admissions the rows name, in two queries."""
        related = ("ward__organization", "patient")
        ids: set[uuid.UUID] = set()
        mrns: set[tuple[str, str]] = set()
        for row in rows:
            if row.get("admission"):
                key = self._admission_key(row["admission"])
                if key is not None:
                    ids.add(key)
            elif row.get("mrn") and row.get("ward"):
                mrns.add(_mrn_key(row))
        if ids:
            self.by_id = {
                a.pk: a for a in Admission.objects.select_related(*related).filter(pk__in=ids)
            }
        if mrns:
            wards = set()
            for ward, _mrn in mrns:
                try:
                    wards.add(uuid.UUID(ward))
                except ValueError:
                    continue
            queryset = (
                Admission.objects.select_related(*related)
                .annotate(mrn_lower=Lower("patient__mrn"))
                .filter(ward_id__in=wards, mrn_lower__in={m for _w, m in mrns})
                .order_by("admitted_at")
            )
            for admission in queryset:
                key = (str(admission.ward_id), admission.mrn_lower)
                self.by_mrn.setdefault(key, []).append(admission)

    def _admission_key(self, text: Any) -> uuid.UUID | None:
        """The admission id of a cell (parsed once per distinct cell), None if invalid."""
        try:
            return self._keys[text]
        except KeyError:
            try:
                key: uuid.UUID | None = uuid.UUID(str(text))
            except ValueError:
                key = None
            self._keys[text] = key
            return key
        except TypeError:  # unhashable JSON value
            return None

    def admission_for(self, row: dict[str, Any], recorded_at: datetime) -> Admission:
        if row.get("admission"):
            key = self._admission_key(row["admission"])
            if key is None:
                raise RejectedRowError(["admission: Not a valid id."])
            admission = self.by_id.get(key)
            if admission is None:
                raise RejectedRowError(["admission: No such admission."])
        elif row.get("mrn") and row.get("ward"):
            candidates = [
                a
                for a in self.by_mrn.get(_mrn_key(row), [])
                if a.admitted_at <= recorded_at
                and (a.discharged_at is None or recorded_at <= a.discharged_at)
            ]
            if not candidates:
                raise RejectedRowError(
                    ["mrn: No admission of this patient to this ward at this time."]
                )
            admission = candidates[0]
        else:
            raise RejectedRowError(["admission: Give the admission id, or the mrn and the ward."])
        # Like the API's scoping: another organisation's admission does not exist (404),
        # and a role that may not record is refused (403).
        may_view, may_record = self._rights_in(admission.ward.organization_id)
        if not may_view:
            raise RejectedRowError(["admission: No such admission."])
        if not may_record:
            raise RejectedRowError(["Your role does not allow recording observations here."])
        return admission

    def _rights_in(self, organization_id: Any) -> tuple[bool, bool]:
        if organization_id not in self._rights:
            self._rights[organization_id] = (
                access.can(self.by, Capability.PATIENT_VIEW, organization_id),
                access.can(self.by, Capability.OBSERVATION_RECORD, organization_id),
            )
        return self._rights[organization_id]

    def check(self, row: dict[str, Any], values: dict[str, Any]) -> Row:
        """The row's admission and time, checked as ``observation_record`` checks them."""
        recorded_at = values.pop("recorded_at", None)
        if recorded_at is None:
            raise RejectedRowError(["recorded_at: This field is required."])
        admission = self.admission_for(row, recorded_at)
        if not any(values.get(name) not in (None, "", []) for name in assessment.VITAL_FIELDS):
            raise RejectedRowError(["Record at least one value."])
        if admission.discharged_at is not None and not self.allow_discharged:
            raise RejectedRowError(["This admission is closed (the patient was discharged)."])
        try:
            services._validate_time(admission, recorded_at)
        except DjangoValidationError as exc:
            raise RejectedRowError(flatten(exc.message_dict)) from None
        return Row(line=0, admission=admission, values=values, recorded_at=recorded_at)


def _mrn_key(row: dict[str, Any]) -> tuple[str, str]:
    return str(row["ward"]).lower(), str(row["mrn"]).strip().lower()


# --------------------------------------------------------------------------- scoring


class AdmissionRules:
    """One admission's ``assessment.Rules`` as they stood at any moment: the dengue phase
    from its phase changes and the physician's interval from its history, as
    ``services.admission_rescore`` reads them."""

    def __init__(
        self,
        base: assessment.Rules,
        *,
        phases: list[tuple[datetime, str, str]],
        overrides: list[tuple[datetime, int | None]],
    ) -> None:
        self.base = base
        self.phases = phases  # (changed_at, from_phase, to_phase), in time order
        self._phase_times = [p[0] for p in phases]
        self.overrides = overrides  # (history_date, interval_override_minutes), in order
        self._override_times = [o[0] for o in overrides]
        self._made: dict[tuple[str, int | None], assessment.Rules] = {}

    def at(self, moment: datetime) -> assessment.Rules:
        phase = self.base.phase
        if self.phases:
            index = bisect.bisect_right(self._phase_times, moment)
            phase = self.phases[index - 1][2] if index else self.phases[0][1]
        override = self.base.override_minutes
        index = bisect.bisect_right(self._override_times, moment)
        if index:
            override = self.overrides[index - 1][1]
        key = (phase, override)
        if key not in self._made:
            self._made[key] = dataclasses.replace(self.base, phase=phase, override_minutes=override)
        return self._made[key]


def load_rules(admissions: list[Admission]) -> dict[Any, AdmissionRules]:
    """Each admission's ``AdmissionRules``, in two queries."""
    organizations: dict[Any, tuple[Any, Any, Any]] = {}
    phases: dict[Any, list[tuple[datetime, str, str]]] = defaultdict(list)
    dengue_ids = [a.pk for a in admissions if a.protocol == Protocol.DENGUE]
    if dengue_ids:
        from careboard.patients.models import PhaseChange

        for change in (
            PhaseChange.objects.filter(admission_id__in=dengue_ids)
            .order_by("changed_at")
            .values_list("admission_id", "changed_at", "from_phase", "to_phase")
        ):
            phases[change[0]].append(change[1:])
    overrides: dict[Any, list[tuple[datetime, int | None]]] = defaultdict(list)
    for past in (
        Admission.history.filter(id__in=[a.pk for a in admissions])
        .order_by("history_date")
        .values_list("id", "history_date", "interval_override_minutes")
    ):
        overrides[past[0]].append(past[1:])
    out = {}
    for admission in admissions:
        org: Organization = admission.ward.organization
        if org.pk not in organizations:
            organizations[org.pk] = (
                org.tz,
                assessment.shifts_for(org),
                assessment.intervals_for(org),
            )
        tz, shifts, intervals = organizations[org.pk]
        base = assessment.Rules(
            tz=tz,
            shifts=shifts,
            intervals=intervals,
            birth_date=admission.patient.birth_date,
            pregnant=admission.pregnant,
            dengue=admission.protocol == Protocol.DENGUE,
            phase=admission.phase,
            override_minutes=admission.interval_override_minutes,
        )
        out[admission.pk] = AdmissionRules(
            base, phases=phases.get(admission.pk, []), overrides=overrides.get(admission.pk, [])
        )
    return out


def stored_dengue_observations(admission_ids: list[Any]) -> dict[Any, list[tuple[Any, ...]]]:
    """The valid stored observations of dengue admissions the rules compare with:
    (recorded_at, hematocrit, platelets, temperature), in time order."""
    out: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    if not admission_ids:
        return out
    for row in (
        Observation.objects.filter(admission_id__in=admission_ids)
        .exclude(status=ObservationStatus.ENTERED_IN_ERROR)
        .order_by("recorded_at", "created_at")
        .values_list("admission_id", "recorded_at", "hematocrit", "platelets", "temperature")
    ):
        out[row[0]].append(row[1:])
    return out


# --------------------------------------------------------------------------- writing

_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_HISTORY_EXTRA = ("history_date", "history_change_reason", "history_type", "history_user_id")


class CopyRows:
    """Observation rows and their history rows as lines of COPY text.

    The history table is written with the observation's columns first, in the same
    order, then the history's own: a history line is the observation's line plus a
    constant tail.
    """

    def __init__(self, *, by: User, now: datetime) -> None:
        self.fields = list(Observation._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        history = Observation.history.model
        history_columns = {f.column for f in history._meta.concrete_fields} - {"history_id"}
        if history_columns != {*self.columns, *_HISTORY_EXTRA}:  # pragma: no cover
            raise RuntimeError("The history table no longer mirrors the observation table.")
        self.history_columns = [*self.columns, *_HISTORY_EXTRA]
        self.observation_table = Observation._meta.db_table
        self.history_table = history._meta.db_table
        self.by = by
        self.now = now
        self.now_text = now.isoformat()
        self.history_tail = (
            "\t" + "\t".join((self.now_text, HISTORY_REASON, "+", str(by.pk))) + "\n"
        )
        # Columns the import leaves at their default ("" for text, NULL, final).
        defaults = {
            "status": ObservationStatus.FINAL.value,
            "status_reason": "",
            "notes": "",
            "consciousness": "",
            "warning_signs": [],
            "status_changed_at": None,
            "status_changed_by_id": None,
        }
        self._defaults = defaults

    def observation(self, row: dict[str, Any]) -> dict[str, Any]:
        return {**self._defaults, **{k: v for k, v in row.items() if v is not None}}

    def line(self, row: dict[str, Any]) -> str:
        """The observation's COPY line (without the newline)."""
        get = row.get
        escapes = _ESCAPES
        return "\t".join(
            [
                "\\N"
                if (value := get(name)) is None
                else value.translate(escapes)
                if value.__class__ is str
                else _FORMATS.get(value.__class__, copy_text)(value)
                for name in self.attnames
            ]
        )

    def sql(self, table: str, columns: list[str]) -> str:
        qn = connection.ops.quote_name
        return f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"


_FORMATS: dict[type, Callable[[Any], str]] = {
    Decimal: str,
    int: str,
    uuid.UUID: str,
    bool: lambda value: "t" if value else "f",
    datetime: datetime.isoformat,
    dict: lambda value: _JSON(value).translate(_ESCAPES),
    list: lambda value: _JSON(value).translate(_ESCAPES),
}


# --------------------------------------------------------------------------- the import


@dataclasses.dataclass
class Report:
    stored: int = 0
    admissions: int = 0
    rejected: list[tuple[int, list[str]]] = dataclasses.field(default_factory=list)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)


def validate_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], *, by: User, allow_discharged: bool
) -> tuple[list[Row], list[tuple[int, list[str]]]]:
    """Every row validated and checked: the rows to store and the rejected ones."""
    rows = list(rows)
    resolver = Resolver(by=by, allow_discharged=allow_discharged)
    resolver.preload(row for _line, row in rows)
    validator = ValuesValidator()
    good: list[Row] = []
    rejected: list[tuple[int, list[str]]] = []
    for line, row in rows:
        try:
            if "__error__" in row:
                raise RejectedRowError([row["__error__"]])
            data = {k: v for k, v in row.items() if k not in KEY_FIELDS}
            checked = resolver.check(row, validator.validate(data))
        except RejectedRowError as exc:
            rejected.append((line, exc.reasons))
            continue
        checked.line = line
        good.append(checked)
    return good, rejected


def score_rows(
    rows: list[Row],
    *,
    by: User,
    now: datetime,
    emit: Callable[[dict[str, Any], assessment.Assessment], None],
) -> tuple[list[tuple[int, list[str]]], set[Any]]:
    """Score each admission's rows in time order and hand each observation (its column
    values by attname, without the scores) and its ``Assessment`` to ``emit``. Returns
    the rows the rules refused and the admissions that received observations."""
    by_admission: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        by_admission[row.admission.pk].append(row)
    admissions = [group[0].admission for group in by_admission.values()]
    rules = load_rules(admissions)
    stored = stored_dengue_observations([a.pk for a in admissions if a.protocol == Protocol.DENGUE])
    rejected: list[tuple[int, list[str]]] = []
    touched: set[Any] = set()
    by_pk = by.pk
    for admission_id, group in by_admission.items():
        group.sort(key=lambda r: (r.recorded_at, r.line))
        admission_rules = rules[admission_id]
        timeline = None
        earlier: list[tuple[Any, ...]] = []
        if admission_rules.base.dengue:
            timeline = assessment.DengueTimeline()
            earlier = stored.get(admission_id, [])
        position = 0
        spo2_scale = group[0].admission.spo2_scale
        for row in group:
            values = row.values
            context = None
            if timeline is not None:
                # The stored observations up to this moment go first (as if in the
                # database when this one is recorded).
                while position < len(earlier) and earlier[position][0] <= row.recorded_at:
                    timeline.add(*earlier[position])
                    position += 1
                context = timeline.context(row.recorded_at)
            try:
                result = assessment.score(
                    values=values,
                    recorded_at=row.recorded_at,
                    spo2_scale=spo2_scale,
                    rules=admission_rules.at(row.recorded_at),
                    context=context,
                )
            except (TypeError, ValueError) as exc:  # a value the rules cannot score
                rejected.append((row.line, [str(exc)]))
                continue
            if timeline is not None:
                timeline.add(
                    row.recorded_at,
                    values.get("hematocrit"),
                    values.get("platelets"),
                    values.get("temperature"),
                )
            values["id"] = uuid.uuid4()
            values["admission_id"] = admission_id
            values["recorded_at"] = row.recorded_at
            values["recorded_by_id"] = by_pk
            values["spo2_scale"] = spo2_scale
            values["created_at"] = values["updated_at"] = now
            emit(values, result)
            touched.add(admission_id)
    return rejected, touched


class RollBackError(Exception):
    pass


def run_import(
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    by: User,
    allow_discharged: bool = False,
    skip_invalid: bool = False,
    dry_run: bool = False,
    batch_size: int = 5000,
) -> Report:
    """Import ``rows`` in one transaction: all of them, or none when any is rejected
    (unless ``skip_invalid``); ``dry_run`` does everything, then rolls back."""
    clock = time.perf_counter
    report = Report()
    started = clock()
    now = timezone.now()
    marks: dict[str, float] = {}
    try:
        with transaction.atomic():
            good, report.rejected = validate_rows(rows, by=by, allow_discharged=allow_discharged)
            report.seconds["validate"] = clock() - started
            sink = Sink(by=by, now=now, batch_size=batch_size)
            refused, touched = score_rows(good, by=by, now=now, emit=sink.add)
            sink.close()
            report.seconds["score_and_copy"] = clock() - started - report.seconds["validate"]
            report.rejected.extend(refused)
            report.rejected.sort()
            report.stored = sink.count
            report.admissions = len(touched)
            if report.rejected and not skip_invalid:
                raise RollBackError

            def committed() -> None:
                # Registered before the live updates, so it runs first after the commit
                # (which includes the deferred foreign-key checks of every row).
                marks["committed"] = clock()
                report.seconds["commit"] = marks["committed"] - marks["refreshed"]

            transaction.on_commit(committed)
            mark = clock()
            refresh_board(touched)
            marks["refreshed"] = clock()
            report.seconds["refresh"] = marks["refreshed"] - mark
            if dry_run:
                raise RollBackError
    except RollBackError:
        pass
    report.seconds["total"] = clock() - started
    if "committed" in marks:
        report.seconds["live_updates"] = report.seconds["total"] - (marks["committed"] - started)
    return report


class Sink:
    """Writes observations and their history rows: COPY on PostgreSQL, ``bulk_create``
    elsewhere.

    On PostgreSQL the COPY statements run in a thread on this transaction's connection
    while the caller scores the next rows: the database parses and indexes one batch
    while Python prepares the next (the thread waits on the socket without the GIL).
    The caller must not use the connection until ``close``.
    """

    def __init__(self, *, by: User, now: datetime, batch_size: int) -> None:
        self.rows = CopyRows(by=by, now=now)
        self.postgres = is_postgresql()
        self.batch_size = batch_size
        self.count = 0
        self._observations: list[str] = []
        self._history: list[str] = []
        self._instances: list[dict[str, Any]] = []
        self._news2_json: dict[int, tuple[Any, str]] = {}
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=4)
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        if self.postgres:
            connection.ensure_connection()
            self._thread = threading.Thread(
                target=self._copy_all, args=(connection.connection,), daemon=True
            )
            self._thread.start()

    def add(self, obs: dict[str, Any], result: assessment.Assessment) -> None:
        self.count += 1
        fields = result.model_fields()
        if not self.postgres:
            self._instances.append(self.rows.observation({**obs, **fields}))
            return
        # One JSON text per distinct NEWS2 result (the rules share equal results).
        news2 = result.news2
        cached = self._news2_json.get(id(news2))
        if cached is None or cached[0] is not news2:
            if len(self._news2_json) >= 10_000:
                self._news2_json.clear()
            cached = self._news2_json[id(news2)] = (news2, _JSON(fields["news2"]))
        fields["news2"] = cached[1]
        line = self.rows.line(self.rows.observation({**obs, **fields}))
        self._observations.append(line + "\n")
        self._history.append(line + self.rows.history_tail)
        if len(self._observations) >= self.batch_size:
            self._send()

    def _send(self) -> None:
        if self._failure is not None:
            raise self._failure
        rows = self.rows
        if self._observations:
            self._queue.put(
                (
                    rows.sql(rows.observation_table, rows.columns),
                    "".join(self._observations).encode(),
                )
            )
            self._queue.put(
                (
                    rows.sql(rows.history_table, rows.history_columns),
                    "".join(self._history).encode(),
                )
            )
        self._observations, self._history = [], []

    def _copy_all(self, raw: Any) -> None:
        while (item := self._queue.get()) is not None:
            if self._failure is not None:
                continue
            sql, data = item
            try:
                with raw.cursor() as cursor, cursor.copy(sql) as copy:
                    copy.write(data)
            except BaseException as exc:  # reported to the caller by close()
                self._failure = exc

    def close(self) -> None:
        if not self.postgres:
            self._bulk_create()
            return
        try:
            self._send()
        finally:
            self._queue.put(None)
            assert self._thread is not None  # noqa: S101
            self._thread.join()
        if self._failure is not None:
            raise self._failure

    def _bulk_create(self) -> None:
        history = Observation.history.model
        tail = {
            "history_date": self.rows.now,
            "history_change_reason": HISTORY_REASON,
            "history_type": "+",
            "history_user_id": self.rows.by.pk,
        }
        Observation.objects.bulk_create(
            [Observation(**row) for row in self._instances], batch_size=500
        )
        history.objects.bulk_create(
            [history(**row, **tail) for row in self._instances], batch_size=500
        )
        self._instances = []


def refresh_board(admission_ids: set[Any], *, publish: bool = True) -> None:
    """``services.admission_refresh`` for many admissions: on PostgreSQL the latest two
    valid observations of all of them in one query and the pointers in one UPDATE."""
    admissions = list(
        Admission.objects.select_related("ward__organization").filter(pk__in=admission_ids)
    )
    if not is_postgresql():
        for admission in admissions:
            services.admission_refresh(
                admission=admission, publish=publish and admission.discharged_at is None
            )
        return
    latest: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_TWO_SQL, [[str(pk) for pk in admission_ids]])
        for admission_id, *rest in cursor.fetchall():
            latest[admission_id].append(tuple(rest))
    updates = []
    for admission in admissions:
        two = latest.get(admission.pk, [])
        if not two:
            pointer, previous, due_at = None, None, admission.admitted_at
        else:
            pointer, recorded_at, band, total, complete = two[0]
            previous = two[1][3] if len(two) > 1 else None
            due_at = assessment.due_for(
                admission=admission,
                organization=admission.ward.organization,
                recorded_at=recorded_at,
                band=band or None,
                total=total,
                complete=complete,
            ).due_at
        updates.append((admission.pk, pointer, previous, due_at))
    if updates:
        _update_pointers(updates)
    if publish:
        events.admissions_changed(a.pk for a in admissions if a.discharged_at is None)


def _update_pointers(updates: list[tuple[Any, Any, Any, Any]]) -> None:
    # The same rule as admission_refresh: a new due time opens a new overdue period, an
    # unchanged one keeps the sweep's mark (decided in the database, not from our copy).
    table = connection.ops.quote_name(Admission._meta.db_table)
    placeholders = ", ".join(["(%s::uuid, %s::uuid, %s::smallint, %s::timestamptz)"] * len(updates))
    params = [str(v) if isinstance(v, uuid.UUID) else v for row in updates for v in row]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS a SET latest_observation_id = v.latest, "  # noqa: S608
            "previous_news2_total = v.previous, "
            "overdue_alerted_for = CASE WHEN a.next_due_at = v.due "
            "THEN a.overdue_alerted_for ELSE NULL END, "
            "next_due_at = v.due "
            f"FROM (VALUES {placeholders}) AS v(id, latest, previous, due) WHERE a.id = v.id",
            params,
        )


_LATEST_TWO_SQL = """
SELECT a.id, o.id, o.recorded_at, o.news2_band, o.news2_total, o.news2_complete
FROM unnest(%s::uuid[]) AS a(id)
CROSS JOIN LATERAL (
    SELECT id, recorded_at, news2_band, news2_total, news2_complete, created_at
    FROM patients_observation
    WHERE admission_id = a.id AND status <> 'entered_in_error'
    ORDER BY recorded_at DESC, created_at DESC
    LIMIT 2
) AS o
ORDER BY a.id, o.recorded_at DESC, o.created_at DESC
"""
