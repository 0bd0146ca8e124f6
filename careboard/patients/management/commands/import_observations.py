"""Bulk import of observations from CSV or JSON lines, validated and scored like the API.

    python manage.py import_observations FILE --by nurse@example.org [--format csv|jsonl]
        [--skip-invalid] [--allow-discharged] [--dry-run] [--workers N] [--batch-size N]

Each row names its admission by ``admission`` (the admission id) or by ``mrn`` and
``ward`` (the ward id: the patient's admission to that ward at ``recorded_at``), gives
``recorded_at`` (ISO 8601 with an offset; required here, unlike the API, where it defaults
to now) and any of the observation fields the API takes (``POST
/api/v1/admissions/{id}/observations/``). In CSV an empty cell is a missing value and
``warning_signs`` is a ``;``-separated list (or a JSON array); in JSON lines each line is
one object with the API's JSON types.

Every row goes through what recording through the API does:

- ``ObservationRecordSerializer`` validates it (the same serializer instance logic as the
  API, so the same limits and the same messages);
- the recorder (``--by``) must be allowed to record observations in the admission's
  organisation; the admission must be open (``--allow-discharged`` lets a back-fill land
  in a closed admission, inside its dates) and the time within the admission and not in
  the future; at least one value must be given;
- ``careboard.patients.assessment.assess`` scores it (NEWS2, dengue, next due), in file
  order, so that dengue rules see the rows before it;
- the observation and its history row ("+", by ``--by``, reason ``import``) are stored;
  afterwards each touched admission's board pointers are refreshed
  (``services.admission_refresh``), which publishes one live update per open admission.

All or nothing, per file: the whole file is one transaction. Any rejected row leaves the
database unchanged and the command exits with status 1 after listing every rejected row
(line number and reasons); ``--skip-invalid`` stores the valid rows and lists the rest.
``--dry-run`` validates and scores everything, then rolls back.

Speed: on PostgreSQL rows are written with COPY and validated and scored in ``--workers``
processes (default: the number of CPUs); rows of dengue admissions are scored in the main
process, because their rules read the earlier observations. See bench/README.md.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers

from careboard.bench_data.bulk import Table, Writer, is_postgresql
from careboard.organizations import access
from careboard.organizations.roles import Capability
from careboard.patients import assessment, services
from careboard.patients.api.serializers import ObservationRecordSerializer
from careboard.patients.models import Admission, Observation, Protocol
from careboard.users.models import User

KEY_FIELDS = ("admission", "mrn", "ward")
VALUE_FIELDS = tuple(ObservationRecordSerializer().fields)
HISTORY_REASON = "import"


class RejectedRowError(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """DRF error detail as "field: message" strings."""
    if isinstance(detail, dict):
        out: list[str] = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            out.extend(_flatten(value, f"{prefix}{name}" if not prefix else f"{prefix}.{name}"))
        return out
    if isinstance(detail, list):
        return [reason for item in detail for reason in _flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


# --------------------------------------------------------------------------- reading


def read_rows(path: str, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) pairs; for CSV the header is line 1."""
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8", newline="")  # noqa: SIM115
    try:
        if fmt == "csv":
            reader = csv.DictReader(stream)
            unknown = [c for c in reader.fieldnames or () if c not in (*KEY_FIELDS, *VALUE_FIELDS)]
            if unknown:
                raise CommandError(f"Unknown column(s): {', '.join(unknown)}.")
            for row in reader:
                cleaned: dict[str, Any] = {k: v for k, v in row.items() if v not in ("", None)}
                if "warning_signs" in cleaned:
                    signs = cleaned["warning_signs"].strip()
                    cleaned["warning_signs"] = (
                        json.loads(signs)
                        if signs.startswith("[")
                        else [s.strip() for s in signs.split(";") if s.strip()]
                    )
                yield reader.line_num, cleaned
        else:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, {"__error__": f"Not JSON: {exc.msg}."}
                    continue
                yield number, row if isinstance(row, dict) else {"__error__": "Not an object."}
    finally:
        if stream is not sys.stdin:
            stream.close()


# --------------------------------------------------------------------------- one chunk


class Importer:
    """Validates and scores rows; the same code runs in the worker processes."""

    def __init__(self, *, by_id: int, allow_discharged: bool, now: datetime) -> None:
        self.by = User.objects.get(pk=by_id)
        self.allow_discharged = allow_discharged
        self.now = now
        self.serializer = ObservationRecordSerializer()
        self.admissions: dict[Any, Admission | None] = {}
        self.by_mrn: dict[tuple[str, str], list[Admission]] = {}
        self.observations = Table(Observation)
        self.history = Table(Observation.history.model)

    # Admissions, fetched once per chunk for the keys not seen yet.
    def preload(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        related = ("ward__organization", "patient")
        ids, mrns = set(), set()
        for _line, row in rows:
            if row.get("admission"):
                try:
                    key = uuid.UUID(str(row["admission"]))
                except ValueError:
                    continue
                if key not in self.admissions:
                    ids.add(key)
            elif row.get("mrn") and row.get("ward"):
                key2 = (str(row["ward"]).lower(), str(row["mrn"]).strip().lower())
                if key2 not in self.by_mrn:
                    mrns.add(key2)
        if ids:
            found = {a.pk: a for a in Admission.objects.select_related(*related).filter(pk__in=ids)}
            for key in ids:
                self.admissions[key] = found.get(key)
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
            )
            for key2 in mrns:
                self.by_mrn[key2] = []
            for admission in queryset:
                key2 = (str(admission.ward_id), admission.mrn_lower)
                if key2 in self.by_mrn:
                    self.by_mrn[key2].append(admission)

    def admission_for(self, row: dict[str, Any], recorded_at: datetime) -> Admission:
        if row.get("admission"):
            try:
                key = uuid.UUID(str(row["admission"]))
            except ValueError:
                raise RejectedRowError(["admission: Not a valid id."]) from None
            admission = self.admissions.get(key)
            if admission is None:
                raise RejectedRowError(["admission: No such admission."])
        elif row.get("mrn") and row.get("ward"):
            key2 = (str(row["ward"]).lower(), str(row["mrn"]).strip().lower())
            candidates = [
                a
                for a in self.by_mrn.get(key2, [])
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
        if not access.can(self.by, Capability.PATIENT_VIEW, admission.ward.organization_id):
            raise RejectedRowError(["admission: No such admission."])
        if not access.can(self.by, Capability.OBSERVATION_RECORD, admission.ward.organization_id):
            raise RejectedRowError(["Your role does not allow recording observations here."])
        return admission

    def validate(self, row: dict[str, Any]) -> tuple[Admission, dict[str, Any], datetime]:
        """The row's admission, validated values and time, or ``RejectedRowError``."""
        if "__error__" in row:
            raise RejectedRowError([row["__error__"]])
        data = {k: v for k, v in row.items() if k not in KEY_FIELDS}
        try:
            values = dict(self.serializer.run_validation(data))
        except serializers.ValidationError as exc:
            raise RejectedRowError(_flatten(exc.detail)) from None
        recorded_at = values.pop("recorded_at", None)
        if recorded_at is None:
            raise RejectedRowError(["recorded_at: This field is required."])
        admission = self.admission_for(row, recorded_at)
        if not any(values.get(name) not in (None, "", []) for name in assessment.VITAL_FIELDS):
            raise RejectedRowError(["Record at least one value."])
        if admission.discharged_at is not None and not self.allow_discharged:
            raise RejectedRowError(["This admission is closed (the patient was discharged)."])
        try:
            # The service's own time checks (future, before admission, after discharge).
            services._validate_time(admission, recorded_at)
        except DjangoValidationError as exc:
            raise RejectedRowError(_flatten(exc.message_dict)) from None
        return admission, values, recorded_at

    def rows_for(
        self, admission: Admission, values: dict[str, Any], recorded_at: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The observation row and its history row, scored."""
        result = assessment.assess(
            admission=admission,
            values=values,
            recorded_at=recorded_at,
            spo2_scale=admission.spo2_scale,
        )
        obs = {
            "id": uuid.uuid4(),
            "admission_id": admission.pk,
            "recorded_at": recorded_at,
            "recorded_by_id": self.by.pk,
            "spo2_scale": admission.spo2_scale,
            **{name: values[name] for name in assessment.VITAL_FIELDS if name in values},
            **result.model_fields(),
            "created_at": self.now,
            "updated_at": self.now,
        }
        if obs.get("notes") is None:
            obs["notes"] = ""
        if obs.get("consciousness") is None:
            obs["consciousness"] = ""
        if obs.get("warning_signs") is None:
            obs["warning_signs"] = []
        history = {
            **obs,
            "history_date": self.now,
            "history_change_reason": HISTORY_REASON,
            "history_type": "+",
            "history_user_id": self.by.pk,
        }
        return obs, history

    def chunk(self, rows: list[tuple[int, dict[str, Any]]], *, lines: bool) -> dict[str, Any]:
        """Validate and score a chunk. Dengue rows are only validated (``deferred``): the
        main process scores them in order. ``lines``: COPY text instead of row dicts."""
        self.preload(rows)
        out: dict[str, Any] = {"rows": [], "rejected": [], "deferred": [], "admissions": set()}
        for number, row in rows:
            try:
                admission, values, recorded_at = self.validate(row)
                if admission.protocol == Protocol.DENGUE:
                    out["deferred"].append((number, admission.pk, values, recorded_at))
                    continue
                obs, history = self.rows_for(admission, values, recorded_at)
            except RejectedRowError as exc:
                out["rejected"].append((number, exc.reasons))
                continue
            except (TypeError, ValueError) as exc:  # a value the rules cannot score
                out["rejected"].append((number, [str(exc)]))
                continue
            out["admissions"].add(admission.pk)
            if lines:
                out["rows"].append((self.observations.line(obs), self.history.line(history)))
            else:
                out["rows"].append((obs, history))
        return out


_worker: Importer | None = None


def _init_worker(options: dict[str, Any]) -> None:
    global _worker  # noqa: PLW0603
    for conn in connections.all(initialized_only=True):
        # A connection pool inherited through fork has lost its threads: start afresh.
        pools = getattr(type(conn), "_connection_pools", None)
        if pools:
            pools.clear()
    _worker = Importer(**options)


def _work(rows: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    assert _worker is not None  # noqa: S101
    return _worker.chunk(rows, lines=True)


def _chunks(
    rows: Iterator[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class RollBackError(Exception):
    pass


class Command(BaseCommand):
    help = "Import observations from CSV or JSON lines, validated and scored like the API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the file, or - for standard input")
        parser.add_argument("--by", required=True, help="e-mail of the user recording them")
        parser.add_argument("--format", choices=("csv", "jsonl"), default=None)
        parser.add_argument("--skip-invalid", action="store_true")
        parser.add_argument("--allow-discharged", action="store_true")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes validating and scoring (PostgreSQL; default: CPUs, 0: none)",
        )
        parser.add_argument("--max-report", type=int, default=200, help="rejected rows listed")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        fmt = options["format"] or (
            "jsonl" if path.endswith((".jsonl", ".ndjson", ".json")) else "csv"
        )
        if path != "-" and not Path(path).is_file():
            raise CommandError(f"No such file: {path}")
        by = User.objects.filter(email__iexact=options["by"], is_active=True).first()
        if by is None:
            raise CommandError(f"No active user with the e-mail address {options['by']}.")
        postgres = is_postgresql()
        workers = options["workers"]
        if workers is None:
            workers = (os.cpu_count() or 1) if postgres else 0
        if not postgres or connection.in_atomic_block:
            # Workers need the rows they read committed, and forking closes this process's
            # connections: inside a caller's transaction, validate and score here.
            workers = 0
        started = time.perf_counter()
        importer_options = {
            "by_id": by.pk,
            "allow_discharged": options["allow_discharged"],
            "now": timezone.now(),
        }
        pool = None
        if workers:
            # Fork before the transaction, without open connections to share.
            connections.close_all()
            pool = multiprocessing.get_context("fork").Pool(
                workers, initializer=_init_worker, initargs=(importer_options,)
            )
        main = Importer(**importer_options)
        writer = Writer(batch_size=options["batch_size"] * 2)
        stored, rejected, touched = 0, [], set()
        loaded = refreshed = 0.0
        rows = read_rows(path, fmt)
        try:
            with transaction.atomic():
                chunks = _chunks(rows, options["batch_size"])
                results = (
                    pool.imap(_work, chunks, chunksize=1)
                    if pool
                    else (main.chunk(c, lines=postgres) for c in chunks)
                )
                history_model = Observation.history.model
                dengue: dict[Any, Admission] = {}
                unflushed: set[Any] = set()  # dengue admissions with rows not yet written
                for result in results:
                    rejected.extend(result["rejected"])
                    touched |= result["admissions"]
                    for obs, history in result["rows"]:
                        if postgres:
                            writer.add_line(Observation, obs)
                            writer.add_line(history_model, history)
                        else:
                            writer.add(Observation, obs)
                            writer.add(history_model, history)
                        stored += 1
                    for number, admission_id, values, recorded_at in result["deferred"]:
                        # The dengue rules read the admission's earlier observations:
                        # write this admission's pending rows first.
                        if admission_id in unflushed:
                            writer.flush()
                            unflushed.clear()
                        admission = dengue.get(admission_id)
                        if admission is None:
                            admission = dengue[admission_id] = Admission.objects.select_related(
                                "ward__organization", "patient"
                            ).get(pk=admission_id)
                        try:
                            obs, history = main.rows_for(admission, values, recorded_at)
                        except (TypeError, ValueError) as exc:
                            rejected.append((number, [str(exc)]))
                            continue
                        writer.add(Observation, obs)
                        writer.add(history_model, history)
                        unflushed.add(admission_id)
                        touched.add(admission_id)
                        stored += 1
                writer.flush()
                if rejected and not options["skip_invalid"]:
                    raise RollBackError
                loaded = time.perf_counter()
                for admission in Admission.objects.select_related("ward__organization").filter(
                    pk__in=touched
                ):
                    services.admission_refresh(
                        admission=admission, publish=admission.discharged_at is None
                    )
                refreshed = time.perf_counter()
                if options["dry_run"]:
                    raise RollBackError
        except RollBackError:
            pass
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
        took = time.perf_counter() - started
        rejected.sort()
        for number, reasons in rejected[: options["max_report"]]:
            self.stderr.write(f"line {number}: {'; '.join(reasons)}")
        if len(rejected) > options["max_report"]:
            self.stderr.write(f"... and {len(rejected) - options['max_report']} more rejected")
        if rejected and not options["skip_invalid"]:
            raise CommandError(
                f"{len(rejected)} row(s) rejected: nothing imported (use --skip-invalid to "
                f"import the {stored} valid rows)."
            )
        rate = stored / took if took else 0.0
        verb = "Validated (dry run, nothing stored)" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} {stored} observation(s) for {len(touched)} admission(s) in {took:.2f} s "
            f"({rate:,.0f} observations/s; admission refresh {refreshed - loaded:.2f} s); "
            f"{len(rejected)} rejected."
        )
        self.rate = rate
