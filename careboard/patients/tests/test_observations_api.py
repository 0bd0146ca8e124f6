"""/api/v1/admissions/{id}/observations/: record a set of observations, scored on the way
in (NEWS2, next due time, dengue class, shift), and list them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.patients import selectors, services
from careboard.patients.models import Admission, Observation
from careboard.patients.tests.factories import (
    VITALS_HIGH_8,
    VITALS_MEDIUM_6,
    VITALS_SCORE_0,
    PatientFactory,
    admit,
    record,
    vitals,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def url(admission: Admission) -> str:
    return f"/api/v1/admissions/{admission.pk}/observations/"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@pytest.fixture
def admission(ward, nurse, organization):
    return admit(
        ward=ward,
        by=nurse,
        patient=PatientFactory.create(organization=organization, birth_date=dt.date(1950, 3, 1)),
        bed="3",
        hours_ago=72,
    )


@pytest.fixture
def dengue(ward, nurse, organization):
    return admit(
        ward=ward,
        by=nurse,
        patient=PatientFactory.create(organization=organization),
        protocol="dengue",
        hours_ago=72,
    )


def at(minutes_ago: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes_ago)


# Happy path -----------------------------------------------------------------------------


def test_nurse_records_a_full_set_and_gets_the_scores(
    client_for, nurse, admission, django_capture_on_commit_callbacks
):
    recorded_at = at(5)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(nurse).post(
            url(admission),
            {
                **VITALS_MEDIUM_6,
                "recorded_at": recorded_at.isoformat(),
                "pain_score": 4,
                "fluid_in_oral": 250,
                "fluid_out_urine": 300,
                "weight": 71.25,
                "notes": "Feels warm.",
            },
        )

    assert response.status_code == 201
    body = response.json()
    observation = Observation.objects.get()
    assert body["id"] == str(observation.pk)
    assert body["admission"] == str(admission.pk)
    assert parse(body["recorded_at"]) == recorded_at
    assert body["recorded_by"]["id"] == str(nurse.public_id)
    assert body["status"] == "final"
    assert {key: body[key] for key in VITALS_MEDIUM_6} == VITALS_MEDIUM_6
    assert (body["pain_score"], body["fluid_in_oral"], body["fluid_out_urine"]) == (4, 250, 300)
    assert body["weight"] == 71.25
    assert body["notes"] == "Feels warm."
    assert body["news2"] == {
        "applicable": True,
        "reason": None,
        "total": 6,
        "band": "medium",
        "single_parameter_3": False,
        "complete": True,
        "components": {
            "respiratory_rate": 2,
            "spo2": 1,
            "air_or_oxygen": 0,
            "systolic_bp": 1,
            "heart_rate": 1,
            "consciousness": 0,
            "temperature": 1,
        },
        "missing": [],
    }
    # Medium: hourly.
    assert parse(body["next_due_at"]) == recorded_at + dt.timedelta(hours=1)
    assert body["due"]["interval_minutes"] == 60
    assert body["dengue"] is None
    assert body["suggests_critical_phase"] is False

    admission.refresh_from_db()
    assert admission.latest_observation == observation
    assert admission.next_due_at == recorded_at + dt.timedelta(hours=1)
    # The board is told, after commit.
    assert len(callbacks) == 1


def test_recorded_at_defaults_to_now(client_for, nurse, admission):
    response = client_for(nurse).post(url(admission), {"heart_rate": 80})
    assert response.status_code == 201
    assert abs(timezone.now() - parse(response.json()["recorded_at"])) < dt.timedelta(minutes=1)


def test_any_subset_may_be_sent_and_gives_a_partial_score(client_for, nurse, admission):
    response = client_for(nurse).post(url(admission), {"heart_rate": 120, "temperature": 39.5})
    assert response.status_code == 201
    news2 = response.json()["news2"]
    assert (news2["total"], news2["band"], news2["complete"]) == (4, "low", False)
    assert news2["components"]["heart_rate"] == 2
    assert news2["components"]["temperature"] == 2
    assert news2["missing"] == [
        "respiratory_rate",
        "spo2",
        "air_or_oxygen",
        "systolic_bp",
        "consciousness",
    ]
    observation = Observation.objects.get()
    assert observation.respiratory_rate is None
    assert observation.on_oxygen is None
    assert observation.consciousness == ""
    assert observation.warning_signs == []


def test_fluids_alone_are_a_set(client_for, nurse, admission):
    response = client_for(nurse).post(url(admission), {"fluid_out_urine": 0})
    assert response.status_code == 201
    assert response.json()["news2"]["total"] is None
    assert response.json()["news2"]["band"] is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"temperature": 42.5}, {"temperature": 42.5}),
        ({"heart_rate": 250}, {"heart_rate": 250}),
        ({"spo2": 50}, {"spo2": 50}),
        ({"temperature": 10.0, "heart_rate": 0, "systolic_bp": 0}, {"temperature": 10.0}),
        ({"systolic_bp": 80, "diastolic_bp": 80}, {"diastolic_bp": 80}),
        ({"pain_score": 10}, {"pain_score": 10}),
        ({"pain_score": 0}, {"pain_score": 0}),
        ({"fluid_in_iv": 0}, {"fluid_in_iv": 0}),
        ({"consciousness": "U"}, {"consciousness": "U"}),
    ],
)
def test_real_extreme_readings_are_accepted(client_for, nurse, admission, values, expected):
    response = client_for(nurse).post(url(admission), values)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {key: body[key] for key in expected} == expected
    assert Observation.objects.count() == 1


# Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"spo2": 101}, "spo2"),
        ({"systolic_bp": 100, "diastolic_bp": 120}, "diastolic_bp"),
        ({"temperature": 60}, "temperature"),
        ({"temperature": 9.9}, "temperature"),
        ({"heart_rate": -1}, "heart_rate"),
        ({"respiratory_rate": "fast"}, "respiratory_rate"),
        ({"recorded_at": "2999-01-01T00:00:00Z"}, "recorded_at"),
        ({"recorded_at": "2000-01-01T00:00:00Z"}, "recorded_at"),
        ({"recorded_at": "yesterday"}, "recorded_at"),
        ({"consciousness": "X"}, "consciousness"),
        ({"warning_signs": ["itchy_feet"]}, "warning_signs[0]"),
        ({"warning_signs": ["lethargy", "lethargy"]}, "warning_signs"),
        ({"warning_signs": "lethargy"}, "warning_signs"),
        ({"pain_score": 11}, "pain_score"),
        ({"pain_score": -1}, "pain_score"),
        ({"fluid_in_oral": -50}, "fluid_in_oral"),
        ({"fluid_out_urine": -1}, "fluid_out_urine"),
        ({"on_oxygen": False, "oxygen_flow": 2}, "oxygen_flow"),
        ({"weight": 0}, "weight"),
        ({"platelets": -5}, "platelets"),
    ],
)
def test_impossible_value_is_refused_on_its_field_and_nothing_is_stored(
    client_for, nurse, admission, change, field
):
    previous = record(admission, by=nurse, minutes_ago=60)
    admission.refresh_from_db()
    due_before = admission.next_due_at

    response = client_for(nurse).post(url(admission), {**VITALS_SCORE_0, **change})

    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "urn:careboard:problem:validation-error"
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0]
    assert Observation.objects.count() == 1
    admission.refresh_from_db()
    assert admission.latest_observation == previous
    assert admission.next_due_at == due_before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spo2": 101}, "Ensure this value is less than or equal to 100."),
        (
            {"systolic_bp": 100, "diastolic_bp": 120},
            "The diastolic pressure is above the systolic.",
        ),
        ({"recorded_at": "2999-01-01T00:00:00Z"}, "The time is in the future."),
        ({"recorded_at": "2000-01-01T00:00:00Z"}, "The time is before the admission."),
        ({"consciousness": "X"}, '"X" is not a valid choice.'),
        ({"warning_signs": ["itchy_feet"]}, '"itchy_feet" is not a valid choice.'),
        ({"pain_score": 11}, "Ensure this value is less than or equal to 10."),
        ({"fluid_in_oral": -50}, "Ensure this value is greater than or equal to 0."),
    ],
)
def test_validation_messages(client_for, nurse, admission, change, message):
    response = client_for(nurse).post(url(admission), {**VITALS_SCORE_0, **change})
    assert response.status_code == 400
    assert list(response.json()["errors"].values()) == [[message]]
    assert not Observation.objects.exists()


def test_a_time_just_ahead_of_the_server_clock_is_allowed(client_for, nurse, admission):
    # A bedside device's clock may run a minute ahead.
    ahead = timezone.now() + dt.timedelta(minutes=1)
    response = client_for(nurse).post(url(admission), {"heart_rate": 70, "recorded_at": ahead})
    assert response.status_code == 201


def test_an_empty_set_is_refused(client_for, nurse, admission):
    response = client_for(nurse).post(url(admission), {"notes": ""})
    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": ["Record at least one value."]}
    assert not Observation.objects.exists()


# Next due -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "band", "minutes"),
    [
        (VITALS_SCORE_0, "low", 12 * 60),  # complete 0
        (vitals(heart_rate=95), "low", 4 * 60),  # 1
        (vitals(heart_rate=120, temperature=38.5, systolic_bp=105), "low", 4 * 60),  # 4
        ({"heart_rate": 72}, "low", 4 * 60),  # a partial 0 is not a true 0
        (vitals(consciousness="V"), "low-medium", 60),  # a single 3
        (VITALS_MEDIUM_6, "medium", 60),
        (VITALS_HIGH_8, "high", 15),
    ],
)
def test_next_due_follows_the_band(client_for, nurse, admission, values, band, minutes):
    recorded_at = at(2)
    response = client_for(nurse).post(
        url(admission), {**values, "recorded_at": recorded_at.isoformat()}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["news2"]["band"] == band
    assert parse(body["next_due_at"]) == recorded_at + dt.timedelta(minutes=minutes)
    assert body["due"]["interval_minutes"] == minutes


def test_physician_override_wins_over_the_band(client_for, nurse, physician, admission):
    client_for(physician).patch(
        f"/api/v1/admissions/{admission.pk}/",
        {"interval_override_minutes": 240, "interval_override_reason": "Palliative"},
    )
    recorded_at = at(2)
    body = (
        client_for(nurse)
        .post(url(admission), {**VITALS_HIGH_8, "recorded_at": recorded_at.isoformat()})
        .json()
    )
    assert body["news2"]["band"] == "high"
    assert parse(body["next_due_at"]) == recorded_at + dt.timedelta(hours=4)
    assert body["due"]["source"] == "override"


def test_dengue_critical_phase_caps_the_interval_at_2_hours(client_for, nurse, physician, dengue):
    client_for(physician).post(f"/api/v1/admissions/{dengue.pk}/phase/", {"phase": "critical"})
    recorded_at = at(2)
    body = (
        client_for(nurse)
        .post(url(dengue), {**VITALS_SCORE_0, "recorded_at": recorded_at.isoformat()})
        .json()
    )
    assert parse(body["next_due_at"]) == recorded_at + dt.timedelta(hours=2)
    assert body["due"]["source"] == "dengue_critical"


# Shift ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local_time", "shift"),
    [
        (dt.time(6, 59), "N"),
        (dt.time(7, 0), "D"),
        (dt.time(14, 59), "D"),
        (dt.time(15, 0), "E"),
        (dt.time(22, 59), "E"),
        (dt.time(23, 0), "N"),
        (dt.time(0, 30), "N"),
    ],
)
def test_shift_is_derived_in_the_organisations_time_zone(
    client_for, nurse, admission, local_time, shift
):
    assert admission.ward.organization.time_zone == "Europe/Berlin"
    yesterday = timezone.now().astimezone(BERLIN).date() - dt.timedelta(days=1)
    local = dt.datetime.combine(yesterday, local_time, tzinfo=BERLIN)
    # Sent in UTC: the shift must come from Berlin's wall clock, not the offset sent.
    response = client_for(nurse).post(
        url(admission), {"heart_rate": 70, "recorded_at": local.astimezone(dt.UTC).isoformat()}
    )
    assert response.status_code == 201
    assert response.json()["shift"] == shift


# NEWS2 not applicable -------------------------------------------------------------------


def test_news2_does_not_apply_under_16(client_for, nurse, ward, organization):
    today = timezone.now().astimezone(BERLIN).date()
    child = PatientFactory.create(
        organization=organization, birth_date=today.replace(year=today.year - 15)
    )
    admission = admit(ward=ward, by=nurse, patient=child, hours_ago=2)
    recorded_at = at(1)
    body = (
        client_for(nurse)
        .post(url(admission), {**VITALS_HIGH_8, "recorded_at": recorded_at.isoformat()})
        .json()
    )
    assert body["news2"]["applicable"] is False
    assert body["news2"]["reason"] == "under_16"
    assert body["news2"]["total"] is None
    assert body["news2"]["band"] is None
    # Not scored: the routine 4-hourly round.
    assert parse(body["next_due_at"]) == recorded_at + dt.timedelta(hours=4)


def test_news2_applies_from_the_16th_birthday(client_for, nurse, ward, organization):
    today = timezone.now().astimezone(BERLIN).date()
    birthday = today - dt.timedelta(days=1)
    teen = PatientFactory.create(
        organization=organization, birth_date=birthday.replace(year=birthday.year - 16)
    )
    admission = admit(ward=ward, by=nurse, patient=teen, hours_ago=2)
    body = client_for(nurse).post(url(admission), VITALS_HIGH_8).json()
    assert body["news2"]["applicable"] is True
    assert body["news2"]["total"] == 8


def test_news2_does_not_apply_in_pregnancy(client_for, nurse, ward, organization):
    admission = admit(ward=ward, by=nurse, pregnant=True, hours_ago=2)
    body = client_for(nurse).post(url(admission), VITALS_MEDIUM_6).json()
    assert body["news2"]["applicable"] is False
    assert body["news2"]["reason"] == "pregnancy"
    assert body["news2"]["total"] is None


# Dengue ---------------------------------------------------------------------------------


def test_dengue_admission_gets_a_classification_with_reasons(client_for, nurse, dengue):
    body = (
        client_for(nurse)
        .post(url(dengue), {**VITALS_SCORE_0, "warning_signs": ["mucosal_bleeding", "lethargy"]})
        .json()
    )
    assert body["dengue"] == {
        "classification": "with_warning_signs",
        "reasons": [
            {"code": "mucosal_bleeding", "text": "Mucosal bleeding"},
            {"code": "lethargy", "text": "Lethargy or restlessness"},
        ],
        "warning_signs": ["mucosal_bleeding", "lethargy"],
        "shock_signs": [],
    }
    assert body["warning_signs"] == ["mucosal_bleeding", "lethargy"]


def test_dengue_shock_is_severe(client_for, nurse, dengue):
    body = (
        client_for(nurse)
        .post(url(dengue), vitals(systolic_bp=85, diastolic_bp=70, warning_signs=["lethargy"]))
        .json()
    )
    assert body["dengue"]["classification"] == "severe"
    assert body["dengue"]["reasons"][0] == {
        "code": "systolic_below_90",
        "text": "Systolic BP 85 mmHg < 90",
    }


def test_dengue_hematocrit_rise_over_the_first_is_a_warning_sign(client_for, nurse, dengue):
    record(dengue, by=nurse, minutes_ago=240, **vitals(hematocrit=40.0, platelets=150))
    body = client_for(nurse).post(url(dengue), vitals(hematocrit=48.0, platelets=120)).json()
    assert body["dengue"]["classification"] == "with_warning_signs"
    assert [r["code"] for r in body["dengue"]["reasons"]] == ["hct_rise_20pct"]


def test_dengue_without_warning_signs(client_for, nurse, dengue):
    body = client_for(nurse).post(url(dengue), VITALS_SCORE_0).json()
    assert body["dengue"]["classification"] == "without_warning_signs"
    assert body["dengue"]["reasons"] == []


def test_general_admission_has_no_dengue_class(client_for, nurse, admission):
    body = client_for(nurse).post(url(admission), vitals(warning_signs=["lethargy"])).json()
    assert body["dengue"] is None


def test_defervescence_suggests_the_critical_phase_but_does_not_change_it(
    client_for, nurse, dengue
):
    client = client_for(nurse)
    fever = client.post(url(dengue), {"temperature": 39.2, "recorded_at": at(240).isoformat()})
    assert fever.json()["suggests_critical_phase"] is False

    settled = client.post(url(dengue), {"temperature": 38.0, "recorded_at": at(5).isoformat()})

    assert settled.status_code == 201
    assert settled.json()["suggests_critical_phase"] is True
    dengue.refresh_from_db()
    assert dengue.phase == "febrile"
    assert dengue.phase_changes.count() == 1


def test_no_suggestion_without_earlier_fever(client_for, nurse, dengue):
    client = client_for(nurse)
    client.post(url(dengue), {"temperature": 37.5, "recorded_at": at(240).isoformat()})
    body = client.post(url(dengue), {"temperature": 37.0, "recorded_at": at(5).isoformat()}).json()
    assert body["suggests_critical_phase"] is False


def test_no_suggestion_once_in_the_critical_phase(client_for, nurse, physician, dengue):
    client = client_for(nurse)
    client.post(url(dengue), {"temperature": 39.2, "recorded_at": at(240).isoformat()})
    client_for(physician).post(f"/api/v1/admissions/{dengue.pk}/phase/", {"phase": "critical"})
    body = client.post(url(dengue), {"temperature": 37.0, "recorded_at": at(5).isoformat()}).json()
    assert body["suggests_critical_phase"] is False


# Roles and access -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.PHYSICIAN, 201),
        (Role.NURSE, 201),
        (Role.ADMIN, 403),
        (Role.THERAPIST, 403),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_record(client_for, make_member, admission, role, expected):
    response = client_for(make_member(role)).post(url(admission), VITALS_SCORE_0)
    assert response.status_code == expected
    assert Observation.objects.count() == (1 if expected == 201 else 0)
    admission.refresh_from_db()
    assert (admission.latest_observation is not None) is (expected == 201)


def test_outsider_gets_404_and_nothing_is_stored(client_for, outsider, admission):
    client = client_for(outsider)
    assert client.post(url(admission), VITALS_SCORE_0).status_code == 404
    assert client.get(url(admission)).status_code == 404
    assert not Observation.objects.exists()


def test_anonymous_caller_gets_401_and_nothing_is_stored(api_client, admission):
    assert api_client.post(url(admission), VITALS_SCORE_0).status_code == 401
    assert api_client.get(url(admission)).status_code == 401
    assert not Observation.objects.exists()


def test_unknown_admission_is_404(client_for, nurse):
    response = client_for(nurse).post(
        "/api/v1/admissions/00000000-0000-4000-8000-000000000000/observations/", VITALS_SCORE_0
    )
    assert response.status_code == 404


# List -----------------------------------------------------------------------------------


def test_viewer_lists_observations_newest_first_with_fluid_balance(
    client_for, nurse, viewer, admission
):
    older = record(admission, by=nurse, minutes_ago=120, fluid_in_oral=500, heart_rate=80)
    newer = record(admission, by=nurse, minutes_ago=30, fluid_out_urine=200, heart_rate=82)

    response = client_for(viewer).get(url(admission))

    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body["results"]] == [str(newer.pk), str(older.pk)]
    assert body["fluid_balance"]["last_24h"] == {
        "in_ml": 500,
        "out_ml": 200,
        "balance_ml": 300,
        "has_data": True,
    }


def test_a_scale_set_while_the_request_was_on_its_way_applies(
    client_for, nurse, physician, admission, monkeypatch
):
    real = selectors.admission_organization

    def check_then_physician_acts(admission_id):
        found = real(admission_id)
        other_copy = Admission.objects.get(pk=admission_id)
        services.admission_set_spo2_scale(admission=other_copy, by=physician, scale=2)
        return found

    monkeypatch.setattr(selectors, "admission_organization", check_then_physician_acts)

    body = client_for(nurse).post(url(admission), vitals(spo2=90)).json()

    assert body["spo2_scale"] == 2
    assert body["news2"]["components"]["spo2"] == 0


def test_a_discharge_while_the_request_was_on_its_way_wins(
    client_for, nurse, admission, monkeypatch
):
    real = selectors.admission_organization

    def check_then_discharge(admission_id):
        found = real(admission_id)
        other_copy = Admission.objects.get(pk=admission_id)
        services.admission_discharge(admission=other_copy, by=nurse, outcome="home")
        return found

    monkeypatch.setattr(selectors, "admission_organization", check_then_discharge)

    response = client_for(nurse).post(url(admission), vitals())

    assert response.status_code == 409
    assert not Observation.objects.exists()
