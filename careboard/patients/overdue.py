"""The overdue sweep: one ``alert.overdue`` per admission and overdue period.

An admission is overdue when its ``next_due_at`` has passed. ``overdue_alerted_for`` remembers
the due time an alert was sent for; a new observation moves ``next_due_at`` and clears it
(``services.admission_refresh``), which opens the next period. Production runs the sweep
every minute from a worker (``manage.py sweep_overdue``); it is safe to run from several
workers at once.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from careboard.patients import events
from careboard.patients.models import Admission

# Bounds the size of the ``IN (...)`` list of one UPDATE (SQLite allows 32766 parameters).
_BATCH = 500


def sweep_overdue(*, now: datetime | None = None) -> int:
    """Mark every open admission that became overdue since its last alert as alerted and
    publish ``alert.overdue`` for it after commit. Returns how many were alerted.

    One SELECT and one UPDATE per 500 admissions alerted, however many are open.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: a second worker sweeping at the same moment passes over the rows this
        # one holds instead of alerting them again (or waiting for them); a nurse recording
        # an observation holds the row too, and that admission is looked at next time. SQLite
        # has no row locks, but its IMMEDIATE transactions serialise the sweeps.
        due = list(
            Admission.objects.current()
            .filter(next_due_at__lt=now)
            # Django's negation keeps the rows whose overdue_alerted_for is NULL.
            .exclude(overdue_alerted_for=F("next_due_at"))
            .select_for_update(skip_locked=True)
            .order_by("next_due_at")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(due), _BATCH):
            # The rows are locked, so next_due_at is still the value just selected. update()
            # bypasses the change history on purpose: an alert is not an edit of the admission.
            Admission.objects.filter(pk__in=due[start : start + _BATCH]).update(
                overdue_alerted_for=F("next_due_at")
            )
        for admission_id in due:
            events.overdue_alert(admission_id)
    return len(due)
