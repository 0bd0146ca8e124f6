"""``manage.py generate_data`` at the tiny scale: sizes, consistency with the scoring, the
board pointers and the builder's snapshots, and its refusals."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from careboard.bench_data.scales import SCALES
from careboard.builder.models import ActivityLog, Assignment, Exercise, Program
from careboard.builder.snapshot import program_snapshot
from careboard.organizations.models import Membership, Organization, Ward
from careboard.organizations.roles import Role
from careboard.patients import services
from careboard.patients.models import Admission, Observation, ObservationStatus
from careboard.users.services import api_token_create

pytestmark = pytest.mark.django_db
TINY = SCALES["tiny"]


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_data", "--scale", "tiny", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_tiny_data_set_is_consistent_with_the_rules(client):
    output = generate()
    for part in ("patients", "admissions and observations", "board pointers", "Done in"):
        assert part in output  # each part says how long it took

    org = Organization.objects.get(slug="gen-tiny-1")
    assert Ward.objects.filter(organization=org).count() == TINY.wards
    admissions = Admission.objects.filter(ward__organization=org)
    assert admissions.count() == TINY.current_admissions + TINY.past_admissions
    current = admissions.filter(discharged_at__isnull=True)
    # Every bed of every ward is occupied.
    assert sorted(current.values_list("ward__name", "bed")) == sorted(
        (f"Ward {w + 1:02d}", str(b + 1)) for w in range(TINY.wards) for b in range(TINY.beds)
    )
    observations = Observation.objects.filter(admission__ward__organization=org)
    assert 0.9 * TINY.observations <= observations.count() <= TINY.observations
    assert Exercise.objects.filter(organization=org).count() == TINY.exercises
    assert Program.objects.filter(organization=org).count() == TINY.programs
    assert Assignment.objects.filter(organization=org).count() == TINY.assignments
    assert ActivityLog.objects.filter(assignment__organization=org).count() == pytest.approx(
        TINY.activity_logs, abs=5
    )

    # The stored scores are what the rules give: rescoring changes nothing, and the board
    # pointers set by the UPDATE … FROM are what the services would set. (Every current and
    # dengue admission, and a sample of the past ones, to keep the test fast.)
    sample = admissions.filter(
        Q(discharged_at__isnull=True)
        | Q(protocol="dengue")
        | Q(pk__in=admissions.filter(protocol="general").values("pk")[:20])
    )
    for admission in sample.select_related("ward__organization", "patient"):
        before = (admission.latest_observation_id, admission.previous_news2_total)
        due_before = admission.next_due_at
        assert services.admission_rescore(admission=admission) == 0, admission.protocol
        admission.refresh_from_db()
        assert (admission.latest_observation_id, admission.previous_news2_total) == before
        assert admission.next_due_at == due_before
    assert current.filter(latest_observation__isnull=True).count() == 0
    first = current.first()
    assert first is not None
    assert first.latest_observation_id is not None
    latest = Observation.objects.get(pk=first.latest_observation_id)
    assert latest.status != ObservationStatus.ENTERED_IN_ERROR

    # Assignments freeze their program exactly as the builder does.
    assignment = Assignment.objects.filter(organization=org).select_related("program").first()
    assert assignment is not None
    assert assignment.program is not None
    assert assignment.snapshot == program_snapshot(assignment.program)
    big = (
        Program.objects.filter(organization=org)
        .annotate(s=Count("sessions", distinct=True), i=Count("sessions__items"))
        .filter(s=5, i=50)
    )
    assert big.exists()

    # The API reads it: a nurse's board of a generated ward has its five beds.
    membership = Membership.objects.filter(organization=org, role=Role.NURSE).first()
    assert membership is not None
    _token, secret = api_token_create(user=membership.user, name="test")
    ward = Ward.objects.filter(organization=org).first()
    assert ward is not None
    response = client.get(f"/api/v1/wards/{ward.pk}/board/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert len(response.json()["rows"]) == TINY.beds


def test_refuses_existing_generated_data_unless_reset():
    Organization.objects.create(name="Left over", slug="gen-tiny-9")
    with pytest.raises(CommandError, match="--reset"):
        generate()
    output = generate("--reset")
    assert "Deleted 1 generated organisation" in output
    assert not Organization.objects.filter(slug="gen-tiny-9").exists()
    assert Organization.objects.filter(slug="gen-tiny-1").exists()
    # A second reset replaces the data set, it does not add to it.
    generate("--reset")
    assert Organization.objects.filter(slug__startswith="gen-").count() == 1
    assert Admission.objects.count() == TINY.current_admissions + TINY.past_admissions


def test_refuses_production_settings_without_yes_i_know(settings):
    settings.SETTINGS_MODULE = "config.settings.production"
    with pytest.raises(CommandError, match="--yes-i-know"):
        generate()
    assert not Organization.objects.exists()
