"""Bulk import of observations from CSV or JSON lines, validated and scored like the API.

    python manage.py import_observations FILE --by nurse@example.org [--format csv|jsonl]
        [--skip-invalid] [--allow-discharged] [--dry-run] [--batch-size N]

Each row names its admission by ``admission`` (the admission id) or by ``mrn`` and
``ward`` (the ward id: the patient's admission to that ward at ``recorded_at``), gives
``recorded_at`` (ISO 8601 with an offset; required here, unlike the API, where it defaults
to now) and any of the observation fields the API takes (``POST
/api/v1/admissions/{id}/observations/``). In CSV an empty cell is a missing value and
``warning_signs`` is a ``;``-separated list (or a JSON array); in JSON lines each line is
one object with the API's JSON types.

Every row goes through what recording through the API does:

- ``ObservationRecordSerializer`` validates it (its own fields and checks, so the same
  limits and the same messages);
- the recorder (``--by``) must be allowed to record observations in the admission's
  organisation; the admission must be open (``--allow-discharged`` lets a back-fill land
  in a closed admission, inside its dates) and the time within the admission and not in
  the future; at least one value must be given;
- ``careboard.patients.assessment.score`` scores it (NEWS2, dengue, next due): each
  admission's rows in time order, each in the context the admission had at its time
  (earlier observations, stored or imported; the dengue phase and the physician's
  interval as they stood then), as ``manage.py rescore`` would score it;
- the observation and its history row ("+", by ``--by``, reason ``import``) are stored;
  afterwards each touched admission's board pointers are refreshed as
  ``services.admission_refresh`` does, with one live update per open admission.

All or nothing, per file: the whole file is one transaction. Any rejected row leaves the
database unchanged and the command exits with status 1 after listing every rejected row
(line number and reasons); ``--skip-invalid`` stores the valid rows and lists the rest.
``--dry-run`` validates, scores and writes everything, then rolls back.

How it is fast (observations and history rows written with COPY on PostgreSQL, values
validated once per distinct value, no query per row): ``careboard/patients/bulk_import.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careboard.patients import bulk_import
from careboard.users.models import User


class Command(BaseCommand):
    help = "Import observations from CSV or JSON lines, validated and scored like the API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the file, or - for standard input")
        parser.add_argument("--by", required=True, help="e-mail of the user recording them")
        parser.add_argument("--format", choices=("csv", "jsonl"), default=None)
        parser.add_argument("--skip-invalid", action="store_true")
        parser.add_argument("--allow-discharged", action="store_true")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per COPY")
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
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8", newline="")  # noqa: SIM115
        try:
            report = bulk_import.run_import(
                bulk_import.read_rows(stream, fmt),
                by=by,
                allow_discharged=options["allow_discharged"],
                skip_invalid=options["skip_invalid"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
            )
        except bulk_import.UnknownColumnsError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if stream is not sys.stdin:
                stream.close()
        limit = options["max_report"]
        for number, reasons in report.rejected[:limit]:
            self.stderr.write(f"line {number}: {'; '.join(reasons)}")
        if len(report.rejected) > limit:
            self.stderr.write(f"... and {len(report.rejected) - limit} more rejected")
        if report.rejected and not options["skip_invalid"]:
            raise CommandError(
                f"{len(report.rejected)} row(s) rejected: nothing imported (use "
                f"--skip-invalid to import the {report.stored} valid rows)."
            )
        took = report.seconds["total"]
        rate = report.stored / took if took else 0.0
        verb = "Validated (dry run, nothing stored)" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} {report.stored} observation(s) for {report.admissions} admission(s) in "
            f"{took:.2f} s ({rate:,.0f} observations/s; admission refresh "
            f"{report.seconds.get('refresh', 0.0):.2f} s); {len(report.rejected)} rejected."
        )
        self.rate = rate
