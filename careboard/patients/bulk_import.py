"""Bulk import of observations: validated like the API, scored like ``assess``, written
with COPY (``manage.py import_observations`` is the command line over this module).

Where the time goes, and why it is spent once rather than per row:

- validation: ``ObservationRecordSerializer``'s own fields judge each raw value, and a
  field's verdict on a value it has seen is remembered (a field's validation depends on
  the value alone), so a file of bedside numbers costs a dictionary lookup per cell;
  ``recorded_at`` is read with ``datetime.fromisoformat`` as Django reads it first. The
  serializer's ``validate_<field>`` and ``validate`` run on every row. A row any of this
  refuses is validated again by the serializer as the API does, for the API's messages;
- scoring: ``assessment.score`` with the admission's rules built once, and for dengue
  admissions a ``DengueTimeline`` fed in time order instead of three queries per row;
- writing: observations and their history rows ("+", the importing user, reason
  ``import``) as two COPY streams, each line joined from text made once per admission,
  per remembered value and per distinct NEWS2 result; then every touched admission's
  board pointers are set by one query and one ``UPDATE … FROM`` on PostgreSQL
  (``admission_refresh``'s rules).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import queue
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, tzinfo
from typing import Any, TextIO

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers

from careboard.bench_data.bulk import copy_text, is_postgresql
from careboard.organizations import access
from careboard.organizations.roles import Capability
from careboard.patients import assessment, events, scoring, services
from careboard.patients.api.serializers import ObservationRecordSerializer
from careboard.patients.models import Admission, Observation, ObservationStatus, Protocol
from careboard.patients.rules_history import load_rules
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
    signs = header.index("warning_signs") if "warning_signs" in header else -1
    for cells in reader:
        if not cells:
            continue
        row: dict[str, Any] = {
            name: cell for name, cell in zip(header, cells, strict=False) if cell
        }
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
    value it accepted once is accepted again without asking. Text (every CSV cell) is
    remembered by the text itself, other JSON values by type and value, so ``1``, ``1.0``
    and ``True`` stay apart. ``recorded_at``, different on every row, is read with
    ``datetime.fromisoformat`` (what Django's ``parse_datetime`` tries first) and put in
    the field's time zone as the field does; anything else about it is the field's to
    judge. Then the serializer's ``validate_<field>`` methods and ``validate`` run as DRF
    runs them. Anything refused goes through the whole serializer again, so rejected rows
    get exactly the API's messages.
    """

    def __init__(self) -> None:
        self.serializer = ObservationRecordSerializer()
        self.fields = dict(self.serializer.fields)
        self._checks = [
            (name, check)
            for name in self.fields
            if (check := getattr(self.serializer, f"validate_{name}", None)) is not None
        ]
        self._seen: dict[str, dict[Any, Any]] = {name: {} for name in self.fields}
        # Text values by field, answered with one lookup (the hot path of a CSV file).
        self._texts: dict[str, dict[str, Any]] = {
            name: {} for name in self.fields if name not in _NOT_REMEMBERED
        }
        moment = self.fields["recorded_at"]
        self._moment_field = moment
        # The shortcut only where the field adds nothing to parsing and converting.
        self._moment_tz: tzinfo | None = (
            # The stubs say str; DRF answers Django's current time zone (a tzinfo) or None.
            moment.default_timezone()  # type: ignore[assignment]
            if isinstance(moment, serializers.DateTimeField)
            and not hasattr(moment, "timezone")
            and not moment.validators
            else None
        )

    def _learn(self, name: str, raw: str) -> Any:
        value = self.fields[name].run_validation(raw)
        texts = self._texts[name]
        if len(texts) < _REMEMBER_AT_MOST and not isinstance(value, list):
            texts[raw] = value
        return value

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

    def _moment(self, raw: Any) -> Any:
        tz = self._moment_tz
        if tz is not None and raw.__class__ is str:
            try:
                parsed = datetime.fromisoformat(raw)
                if parsed.utcoffset() is not None:
                    return parsed.astimezone(tz)
            except (ValueError, OverflowError):
                pass
        return self._moment_field.run_validation(raw)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """The validated values of ``data`` (keys outside the serializer are ignored, as
        DRF ignores them), or ``RejectedRowError`` with the API's messages."""
        texts = self._texts
        fields = self.fields
        try:
            attrs: dict[str, Any] = {}
            for name, raw in data.items():
                known = texts.get(name)
                if known is not None and raw.__class__ is str:
                    value = known.get(raw, _UNSEEN)
                    if value is _UNSEEN:
                        value = self._learn(name, raw)
                elif name == "recorded_at":
                    value = self._moment(raw)
                elif name in fields:
                    value = self._field_value(name, raw)
                else:
                    continue
                attrs[name] = value
            for name, check in self._checks:
                if name in attrs:
                    attrs[name] = check(attrs[name])
            return self.serializer.validate(attrs)
        except (serializers.ValidationError, DjangoValidationError):
            pass
        try:
            return dict(self.serializer.run_validation(data))
        except serializers.ValidationError as exc:
            raise RejectedRowError(flatten(exc.detail)) from None


_UNSEEN = object()


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
        self._found: dict[Any, Admission | RejectedRowError] = {}

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
                # The plugin types the rows as annotated, but iterating a QuerySet subclass
                # (AdmissionQuerySet) yields the plain model type.
                lowered: str = admission.mrn_lower  # type: ignore[attr-defined]
                self.by_mrn.setdefault((str(admission.ward_id), lowered), []).append(admission)

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
        cell = row.get("admission")
        if cell:
            # Every row of an admission gets the same answer: found once per cell.
            try:
                found = self._found[cell]
            except (KeyError, TypeError):
                found = self._find(cell)
            if found.__class__ is RejectedRowError:
                raise RejectedRowError(found.reasons)  # type: ignore[union-attr]
            return found  # type: ignore[return-value]
        if row.get("mrn") and row.get("ward"):
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
        self._allowed(admission)
        return admission

    def _find(self, cell: Any) -> Admission | RejectedRowError:
        key = self._admission_key(cell)
        found: Admission | RejectedRowError
        if key is None:
            found = RejectedRowError(["admission: Not a valid id."])
        elif (admission := self.by_id.get(key)) is None:
            found = RejectedRowError(["admission: No such admission."])
        else:
            try:
                self._allowed(admission)
                found = admission
            except RejectedRowError as exc:
                found = exc
        with contextlib.suppress(TypeError):  # an unhashable JSON value is not kept
            self._found[cell] = found
        return found

    def _allowed(self, admission: Admission) -> None:
        # Like the API's scoping: another organisation's admission does not exist (404),
        # and a role that may not record is refused (403).
        may_view, may_record = self._rights_in(admission.ward.organization_id)
        if not may_view:
            raise RejectedRowError(["admission: No such admission."])
        if not may_record:
            raise RejectedRowError(["Your role does not allow recording observations here."])

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
        # The validated values hold only the serializer's fields: the vital ones now.
        for value in values.values():
            if value not in _NO_VALUE:
                break
        else:
            raise RejectedRowError(["Record at least one value."])
        if admission.discharged_at is not None and not self.allow_discharged:
            raise RejectedRowError(["This admission is closed (the patient was discharged)."])
        try:
            services._validate_time(admission, recorded_at)
        except DjangoValidationError as exc:
            raise RejectedRowError(flatten(exc.message_dict)) from None
        return Row(line=0, admission=admission, values=values, recorded_at=recorded_at)


_NO_VALUE: tuple[None, str, list[Any]] = (None, "", [])
if set(VALUE_FIELDS) != {*assessment.VITAL_FIELDS, "recorded_at"}:  # pragma: no cover
    raise RuntimeError("The serializer's fields are no longer the vital fields and the time.")


def _mrn_key(row: dict[str, Any]) -> tuple[str, str]:
    return str(row["ward"]).lower(), str(row["mrn"]).strip().lower()


# --------------------------------------------------------------------------- scoring


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

    A line is put together from text made once: every column that is the same for the
    whole import or for an admission sits in the admission's template; a remembered
    value (the validator hands out the same object for the same cell) is turned into
    text once; each distinct NEWS2 result (shared objects) and each kind of due time
    once. Per row there remain the id, the times and the column join.

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
        self._defaults: dict[str, Any] = {
            "status": ObservationStatus.FINAL.value,
            "status_reason": "",
            "notes": "",
            "consciousness": "",
            "warning_signs": [],
            "status_changed_at": None,
            "status_changed_by_id": None,
        }
        self._constant = {
            name: _text(value)
            for name, value in {
                **self._defaults,
                **assessment.dengue_fields(None),
                "recorded_by_id": by.pk,
                "created_at": now,
                "updated_at": now,
            }.items()
        }
        self._templates: dict[tuple[Any, int], dict[str, str]] = {}
        self._texts: dict[int, tuple[Any, str]] = {}
        self._news2: dict[int, tuple[Any, dict[str, str]]] = {}
        self._due: dict[tuple[Any, ...], tuple[str, str]] = {}

    def observation(self, row: dict[str, Any]) -> dict[str, Any]:
        """The observation's column values by attname (``bulk_create``'s rows)."""
        return {**self._defaults, **{k: v for k, v in row.items() if v is not None}}

    def template(self, admission_id: Any, spo2_scale: int) -> dict[str, str]:
        """Every column's text, in table order, as far as the admission fixes it."""
        key = (admission_id, spo2_scale)
        template = self._templates.get(key)
        if template is None:
            known = {**self._constant, "admission_id": str(admission_id)}
            known["spo2_scale"] = str(spo2_scale)
            template = self._templates[key] = {
                name: known.get(name, "\\N") for name in self.attnames
            }
        return template

    def line(
        self,
        template: dict[str, str],
        recorded_at: datetime,
        values: dict[str, Any],
        result: assessment.Assessment,
    ) -> str:
        """One observation's COPY line (without the newline): ``values`` are the
        validated values, ``result`` their assessment."""
        texts = template.copy()
        texts["id"] = str(uuid.uuid4())
        texts["recorded_at"] = recorded_at.isoformat()
        known = self._texts
        for name, value in values.items():
            cls = value.__class__
            if cls is str:
                texts[name] = value.translate(_ESCAPES)
            elif value is None:
                continue
            elif cls is list:
                texts[name] = _text(value)
            else:
                # The cache holds the value, so its id cannot be reused meanwhile.
                cached = known.get(id(value))
                if cached is None:
                    if len(known) >= _REMEMBER_AT_MOST:
                        known.clear()
                    cached = known[id(value)] = (value, _text(value))
                texts[name] = cached[1]
        news2 = result.news2
        cached_news2 = self._news2.get(id(news2))
        if cached_news2 is None:
            if len(self._news2) >= _REMEMBER_AT_MOST:
                self._news2.clear()
            cached_news2 = self._news2[id(news2)] = (
                news2,
                {k: _text(v) for k, v in assessment.news2_fields(news2).items()},
            )
        texts.update(cached_news2[1])
        if result.dengue is not None:
            texts.update({k: _text(v) for k, v in assessment.dengue_fields(result.dengue).items()})
        texts["shift"] = result.shift
        due = result.due
        due_at = due.due_at.isoformat()
        texts["next_due_at"] = due_at
        head, tail = self._due_text(due)
        texts["due"] = head + due_at + tail
        texts["suggests_critical_phase"] = "t" if result.suggests_critical_phase else "f"
        return "\t".join(texts.values())

    def _due_text(self, due: Any) -> tuple[str, str]:
        """The due column's JSON around its ``due_at``: the same for every due time of
        the same interval, source and reason."""
        key = tuple(getattr(due, name) for name in _DUE_KEY)
        parts = self._due.get(key)
        if parts is None:
            whole = due.to_dict()
            marked = _text({**whole, "due_at": _DUE_MARK})
            head, tail = marked.split(_DUE_MARK)
            if head + whole["due_at"] + tail != _text(whole):  # pragma: no cover
                raise RuntimeError("The due time is not written as its isoformat().")
            parts = self._due[key] = (head, tail)
        return parts

    def sql(self, table: str, columns: list[str]) -> str:
        qn = connection.ops.quote_name
        return f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"


def _text(value: Any) -> str:
    """One value in COPY's text format (JSON for dicts and lists)."""
    if isinstance(value, dict | list):
        return _JSON(value).translate(_ESCAPES)
    return copy_text(value)


_DUE_MARK = "@due_at@"
_DUE_KEY = tuple(f.name for f in dataclasses.fields(scoring.DueResult) if f.name != "due_at")


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
            # The key columns are not the serializer's: it ignores them.
            checked = resolver.check(row, validator.validate(row))
        except RejectedRowError as exc:
            rejected.append((line, exc.reasons))
            continue
        checked.line = line
        good.append(checked)
    return good, rejected


Emit = Callable[[Any, int, datetime, dict[str, Any], assessment.Assessment], None]


def score_rows(rows: list[Row], *, emit: Emit) -> tuple[list[tuple[int, list[str]]], set[Any]]:
    """Score each admission's rows in time order and hand each one to ``emit`` as
    (admission id, SpO2 scale, recorded_at, validated values, ``Assessment``). Returns
    the rows the rules refused and the admissions that received observations."""
    by_admission: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        by_admission[row.admission.pk].append(row)
    admissions = [group[0].admission for group in by_admission.values()]
    rules = load_rules(admissions)
    stored = stored_dengue_observations([a.pk for a in admissions if a.protocol == Protocol.DENGUE])
    rejected: list[tuple[int, list[str]]] = []
    touched: set[Any] = set()
    score = assessment.score
    for admission_id, group in by_admission.items():
        group.sort(key=_time_order)
        admission_rules = rules[admission_id]
        timeline = None
        earlier: list[tuple[Any, ...]] = []
        if admission_rules.base.dengue:
            timeline = assessment.DengueTimeline()
            earlier = stored.get(admission_id, [])
        position = 0
        spo2_scale = group[0].admission.spo2_scale
        rules_at = admission_rules.at
        for row in group:
            values = row.values
            recorded_at = row.recorded_at
            context = None
            if timeline is not None:
                # The stored observations up to this moment go first (as if in the
                # database when this one is recorded).
                while position < len(earlier) and earlier[position][0] <= recorded_at:
                    timeline.add(*earlier[position])
                    position += 1
                context = timeline.context(recorded_at)
            try:
                result = score(
                    values=values,
                    recorded_at=recorded_at,
                    spo2_scale=spo2_scale,
                    rules=rules_at(recorded_at),
                    context=context,
                )
            except (TypeError, ValueError) as exc:  # a value the rules cannot score
                rejected.append((row.line, [str(exc)]))
                continue
            if timeline is not None:
                timeline.add(
                    recorded_at,
                    values.get("hematocrit"),
                    values.get("platelets"),
                    values.get("temperature"),
                )
            emit(admission_id, spo2_scale, recorded_at, values, result)
        touched.add(admission_id)
    return rejected, touched


def _time_order(row: Row) -> tuple[datetime, int]:
    return row.recorded_at, row.line


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
            refused, touched = score_rows(good, emit=sink.add)
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
        self._instances: list[dict[str, Any]] = []
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=4)
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        if self.postgres:
            connection.ensure_connection()
            self._thread = threading.Thread(
                target=self._copy_all, args=(connection.connection,), daemon=True
            )
            self._thread.start()

    def add(
        self,
        admission_id: Any,
        spo2_scale: int,
        recorded_at: datetime,
        values: dict[str, Any],
        result: assessment.Assessment,
    ) -> None:
        """One scored observation (its validated ``values`` and their assessment)."""
        self.count += 1
        rows = self.rows
        if not self.postgres:
            self._instances.append(
                rows.observation(
                    {
                        **values,
                        **result.model_fields(),
                        "id": uuid.uuid4(),
                        "admission_id": admission_id,
                        "recorded_at": recorded_at,
                        "recorded_by_id": rows.by.pk,
                        "spo2_scale": spo2_scale,
                        "created_at": rows.now,
                        "updated_at": rows.now,
                    }
                )
            )
            return
        self._observations.append(
            rows.line(rows.template(admission_id, spo2_scale), recorded_at, values, result)
        )
        if len(self._observations) >= self.batch_size:
            self._send()

    def _send(self) -> None:
        if self._failure is not None:
            raise self._failure
        rows = self.rows
        if self._observations:
            lines = self._observations
            self._queue.put(
                (rows.sql(rows.observation_table, rows.columns), ("\n".join(lines) + "\n").encode())
            )
            tail = rows.history_tail
            self._queue.put(
                (
                    rows.sql(rows.history_table, rows.history_columns),
                    (tail.join(lines) + tail).encode(),
                )
            )
        self._observations = []

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
