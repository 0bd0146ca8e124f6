"""The demo patients: every state the board can show, scored as the services score, once."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import TestCase

from careboard.organizations.demo import load_demo_organizations
from careboard.patients import services
from careboard.patients.demo import DEMO_MRN_PREFIX, load_demo_patients
from careboard.patients.models import (
    Admission,
    DenguePhase,
    Observation,
    Patient,
    PhaseChange,
    Protocol,
)

# The morning after the clocks went back in Berlin: the stays span the change.
NOW = datetime(2025, 10, 27, 8, 30, tzinfo=UTC)


def _current(slug: str, ward: str | None = None):
    qs = Admission.objects.current().filter(ward__organization__slug=slug)
    if ward is not None:
        qs = qs.filter(ward__name=ward)
    return qs.select_related("latest_observation", "patient")


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Patient, Admission, Observation, PhaseChange)
    }


class TestDemoPatients(TestCase):
    """One load for the whole class (rolled back after it): the load takes a second or two."""

    created: int

    @classmethod
    def setUpTestData(cls) -> None:
        load_demo_organizations()
        cls.created = load_demo_patients(now=NOW)

    def test_every_ward_has_current_patients(self):
        assert self.created == Patient.objects.count()
        assert _current("demo-hospital", "Medical Ward 3").count() >= 12
        assert _current("demo-hospital", "Infectious Diseases").count() >= 8
        assert _current("other-clinic").exists()
        assert not Patient.objects.exclude(mrn__startswith=DEMO_MRN_PREFIX).exists()
        # Past admissions too, discharged with an outcome.
        past = Admission.objects.filter(discharged_at__isnull=False)
        assert past.count() >= 2
        assert all(a.outcome and a.observations.exists() for a in past)

    def test_the_board_shows_every_state(self):
        rows = list(_current("demo-hospital"))
        latest = [a.latest_observation for a in rows if a.latest_observation is not None]
        bands = {o.news2_band for o in latest}
        assert {"high", "medium", "low"} <= bands
        assert any(a.latest_observation is None and a.next_due_at == a.admitted_at for a in rows)
        overdue = [a for a in rows if a.latest_observation is not None and a.next_due_at < NOW]
        assert overdue
        not_applicable = {
            o.news2.get("reason") for o in latest if o.news2.get("applicable") is False
        }
        assert {"pregnancy", "under_16"} <= not_applicable
        scale_2 = [a for a in rows if a.spo2_scale == 2]
        assert scale_2
        assert scale_2[0].spo2_scale_set_by.email == "physician@example.org"
        override = [a for a in rows if a.interval_override_minutes]
        assert override
        assert override[0].interval_override_reason
        assert override[0].latest_observation.due["source"] == "override"

    def test_dengue_patients_in_every_phase(self):
        dengue = list(_current("demo-hospital", "Infectious Diseases"))
        assert all(a.protocol == Protocol.DENGUE for a in dengue)
        assert {a.phase for a in dengue} == set(DenguePhase.values)
        for admission in dengue:
            changes = list(admission.phase_changes.order_by("changed_at"))
            assert changes[0].to_phase == DenguePhase.FEBRILE
            assert changes[-1].to_phase == admission.phase
            for change in changes[1:]:
                assert change.changed_by.email == "physician@example.org"
                assert change.note
                assert admission.admitted_at < change.changed_at < NOW
        latest = [a.latest_observation for a in dengue]
        assert {"without_warning_signs", "with_warning_signs", "severe"} <= {
            o.dengue_class for o in latest
        }
        # A febrile patient who has just defervesced: the board suggests the critical phase.
        assert any(
            o.suggests_critical_phase and a.phase == DenguePhase.FEBRILE
            for a, o in zip(dengue, latest, strict=True)
        )
        # Daily labs, with the hematocrit rise and falling platelets of the critical phase.
        labs = Observation.objects.filter(admission__in=dengue, hematocrit__isnull=False)
        assert labs.filter(platelets__lt=100).exists()
        codes = {code for o in labs for code in (o.dengue or {}).get("warning_signs", [])}
        assert {"hct_rise_20pct", "hct_rising_platelets_falling"} <= codes

    def test_observations_are_the_nurses_in_the_past(self):
        observations = Observation.objects.select_related("admission", "recorded_by")
        assert observations.count() > 300
        for o in observations:
            assert o.admission.admitted_at <= o.recorded_at <= NOW
            if o.admission.discharged_at:
                assert o.recorded_at <= o.admission.discharged_at
            assert o.recorded_by is not None
            assert o.recorded_by.email.startswith("nurse@")
        assert observations.exclude(fluid_out_urine=None).exists()
        assert observations.exclude(pain_score=None).exists()
        assert observations.exclude(notes="").exists()

    def test_stored_scores_are_the_services_scores(self):
        # Rescoring recomputes with the admission's current phase and override, so compare
        # where those never changed after admission: nothing may differ.
        admissions = [
            a
            for a in Admission.objects.filter(interval_override_minutes=None)
            if a.phase_changes.count() <= 1
        ]
        assert len(admissions) > 15
        for admission in admissions:
            assert services.admission_rescore(admission=admission) == 0, admission

    def test_loading_twice_changes_nothing(self):
        before = _counts()
        assert load_demo_patients(now=NOW) == 0
        assert load_demo_patients() == 0
        assert _counts() == before


@pytest.mark.django_db
def test_the_demo_command_loads_the_patients():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "demo patients added" in out.getvalue()
    assert _current("demo-hospital").count() > 20
    before = _counts()
    call_command("demo", stdout=io.StringIO())
    assert _counts() == before
