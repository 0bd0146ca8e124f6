"""`manage.py rescore [--admission ID] [--organization SLUG]`: recompute stored scores.

Observations keep the scores and due times computed when they were recorded. Run this after
the scoring tables or an organisation's intervals or shifts change.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from careboard.organizations.models import Organization
from careboard.patients.models import Admission
from careboard.patients.services import admission_rescore


class Command(BaseCommand):
    help = (
        "Recompute the stored scores and due times of every admission's observations "
        "(or of one admission, or of one organisation's) and print how many changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--admission", metavar="ID", help="only this admission")
        parser.add_argument("--organization", metavar="SLUG", help="only this organisation's")

    def handle(
        self, *args: Any, admission: str | None, organization: str | None, **options: Any
    ) -> None:
        admissions = Admission.objects.all()
        if admission is not None:
            try:
                admissions = admissions.filter(pk=uuid.UUID(admission))
            except ValueError as exc:
                raise CommandError(f"{admission!r} is not an admission id.") from exc
        if organization is not None:
            if not Organization.objects.filter(slug=organization).exists():
                raise CommandError(f"No organisation with the short name {organization!r}.")
            admissions = admissions.filter(ward__organization__slug=organization)
        ids = list(admissions.order_by("admitted_at", "pk").values_list("pk", flat=True))
        if admission is not None and not ids:
            where = f" in {organization}" if organization else ""
            raise CommandError(f"No admission {admission}{where}.")
        changed = sum(self._rescore(admission_id) for admission_id in ids)
        self.stdout.write(
            f"Rescored {len(ids)} admission{'s' * (len(ids) != 1)}: "
            f"{changed} observation{'s' * (changed != 1)} changed."
        )

    @staticmethod
    def _rescore(admission_id: uuid.UUID) -> int:
        # One transaction per admission: a failure leaves the others rescored, and the row
        # lock keeps a nurse's new observation from landing halfway through (the services
        # take the same lock before recording).
        with transaction.atomic():
            admission = (
                Admission.objects.select_related("patient", "ward__organization")
                .select_for_update(of=("self",))
                .filter(pk=admission_id)
                .first()
            )
            # Gone since the list was read (a patient's record erased): nothing to rescore.
            return admission_rescore(admission=admission) if admission is not None else 0
