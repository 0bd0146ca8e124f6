"""An admission's scoring rules as they stood at any moment: its dengue phase from its
phase changes and the physician's interval from the admission's history, loaded for many
admissions at once and looked up in memory.

``services.admission_rescore`` (each observation in the context it was recorded in) and
the bulk import (each row as ``observation_record`` would have scored it then) both read
the rules through here, so "as it stood" has one meaning.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import defaultdict
from datetime import datetime
from typing import Any

from careboard.organizations.models import Organization
from careboard.patients import assessment
from careboard.patients.models import Admission, Protocol


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
