"""Live events of the ward board: what changed, with the board row that changed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from careboard.core.prepared import PreparedQuery
from careboard.organizations.models import Ward
from careboard.patients import selectors
from careboard.patients.models import Admission, Observation
from careboard.realtime.publish import (
    organization_group,
    publish_after_commit,
    send_many,
    ward_group,
)

# Built after every recorded observation, for every open board: compiled once
# (careboard.core.prepared).
_EVENT_VALUES = PreparedQuery(
    lambda pk: selectors.board_query(
        Admission.objects.filter(pk=pk), "discharged_at", "ward__organization_id"
    ),
    pk=uuid.UUID,
)


def _event(event_type: str, admission_id: Any, extra_wards: tuple[Any, ...] = ()) -> Any:
    def build() -> tuple[list[str], dict[str, Any]] | None:
        pk = admission_id if isinstance(admission_id, uuid.UUID) else uuid.UUID(str(admission_id))
        found = _EVENT_VALUES.dicts(pk=pk)
        if not found:
            return None
        values = found[0]
        now = timezone.now()
        current = values["discharged_at"] is None
        row = selectors.board_row_from_values(values, now=now) if current else None
        groups = [
            ward_group(values["ward_id"]),
            *(ward_group(w) for w in extra_wards),
            organization_group(values["ward__organization_id"]),
        ]
        return groups, {
            "type": event_type,
            "at": now.isoformat(),
            "ward": str(values["ward_id"]),
            "admission": str(pk),
            # None when the patient left the board (discharged).
            "row": row,
            "moved_from_ward": str(extra_wards[0]) if extra_wards else None,
        }

    return build


def observation_event(event_type: str, observation: Observation) -> None:
    publish_after_commit(_event(event_type, observation.admission_id))


def admission_changed(admission: Admission, *, previous_ward_id: Any = None) -> None:
    extra = (
        (previous_ward_id,) if previous_ward_id and previous_ward_id != admission.ward_id else ()
    )
    publish_after_commit(_event("admission.changed", admission.pk, extra))


def admissions_changed(admission_ids: Iterable[Any]) -> None:
    """``admission_changed`` for many open admissions (a bulk import): after commit, their
    board rows in one query and the events sent together."""
    ids = list(admission_ids)

    def run() -> None:
        now = timezone.now()
        rows = selectors.board_rows(
            Admission.objects.filter(pk__in=ids, discharged_at__isnull=True), now=now
        )
        wards = {
            str(ward): organization
            for ward, organization in Ward.objects.filter(
                pk__in={row["ward_id"] for row in rows}
            ).values_list("id", "organization_id")
        }
        send_many(
            [
                (
                    [ward_group(row["ward_id"]), organization_group(wards[row["ward_id"]])],
                    {
                        "type": "admission.changed",
                        "at": now.isoformat(),
                        "ward": row["ward_id"],
                        "admission": row["admission_id"],
                        "row": row,
                        "moved_from_ward": None,
                    },
                )
                for row in rows
            ]
        )

    if ids:
        transaction.on_commit(run)


def overdue_alert(admission_id: Any) -> None:
    publish_after_commit(_event("alert.overdue", admission_id))
