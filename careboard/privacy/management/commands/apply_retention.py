"""`manage.py apply_retention [--dry-run]`: erase patients whose retention period is over.

A patient is due when their last discharge is more than ``RETENTION_YEARS_AFTER_DISCHARGE``
years ago and they have no open admission. Erasure is the same as an admin's
(``careboard.privacy.services.patient_erase``), one transaction per patient. Prints the ids
(never names).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careboard.privacy import services


class Command(BaseCommand):
    help = (
        "Erase (anonymise) every patient whose last discharge is more than "
        "RETENTION_YEARS_AFTER_DISCHARGE years ago and who is not admitted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list who is due, change nothing"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        years = settings.RETENTION_YEARS_AFTER_DISCHARGE
        # A zero would erase everyone discharged; no retention law asks for less than a year.
        if years < 1:
            raise CommandError("RETENTION_YEARS_AFTER_DISCHARGE must be at least 1.")
        if dry_run:
            ids = services.retention_due_ids()
            verb = "Would erase"
        else:
            ids = services.retention_apply()
            verb = "Erased"
        for patient_id in ids:
            self.stdout.write(str(patient_id))
        plural = "s" * (len(ids) != 1)
        self.stdout.write(
            f"{verb} {len(ids)} patient{plural} discharged more than {years} years ago."
        )
