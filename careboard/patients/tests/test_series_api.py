"""GET /api/v1/admissions/{id}/series/: chart series of an admission's valid observations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from careboard.organizations.models import Organization, Ward
from careboard.patients import services
from careboard.patients.models import Admission, Observation
from careboard.patients.scoring.news2 import news2_band
from careboard.patients.series import NEWS2_BANDS, SERIES_FIELDS
from careboard.users.models import User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User | None], APIClient]
PROBLEM = "application/problem+json"
BANDS = [
    {"band": "low", "min": 0, "max": 4},
    {"band": "medium", "min": 5, "max": 6},
    {"band": "high", "min": 7, "max": None},
]


def url(admission: Admission) -> str:
    return f"/api/v1/admissions/{admission.pk}/series/"


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@pytest.fixture
def now() -> datetime:
    # Whole seconds, so that times survive the round trip through the query string.
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def admission(organization: Organization, ward: Ward, nurse: User, now: datetime) -> Admission:
    patient = services.patient_create(
        organization=organization,
        mrn="MRN-1",
        given_name="Ada",
        family_name="Lovelace",
        birth_date=date(1980, 5, 17),
        sex="female",
    )
    return services.admission_admit(
        patient=patient, ward=ward, by=nurse, admitted_at=now - timedelta(days=20)
    )


def record(admission: Admission, by: User, at: datetime, **values: Any) -> Observation:
    return services.observation_record(admission=admission, by=by, values=values, recorded_at=at)


# Happy path -------------------------------------------------------------------------------


def test_returns_each_fields_readings_oldest_first(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    t1, t2, t3 = now - timedelta(hours=6), now - timedelta(hours=4), now - timedelta(hours=2)
    record(admission, nurse, t3, temperature=Decimal("38.4"), heart_rate=Decimal("112"))
    record(admission, nurse, t1, temperature=Decimal("37.0"), heart_rate=Decimal("80"))
    record(admission, nurse, t2, temperature=Decimal("37.6"))
    start, end = now - timedelta(days=1), now

    response = client_for(nurse).get(
        url(admission),
        {"fields": "temperature,heart_rate", "from": iso(start), "to": iso(end)},
    )

    assert response.status_code == 200
    assert response.json() == {
        "admission": str(admission.pk),
        "from": iso(start),
        "to": iso(end),
        "series": {
            "temperature": {
                "points": [[iso(t1), 37], [iso(t2), 37.6], [iso(t3), 38.4]],
                "total_points": 3,
                "downsampled": False,
            },
            "heart_rate": {
                "points": [[iso(t1), 80], [iso(t3), 112]],
                "total_points": 2,
                "downsampled": False,
            },
        },
        "bands": BANDS,
    }


def test_fields_may_be_repeated_and_keep_the_order_asked(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    record(admission, nurse, now - timedelta(hours=1), spo2=Decimal("95"), pain_score=3)

    response = client_for(nurse).get(
        f"{url(admission)}?fields=pain_score&fields=spo2,pain_score&fields=news2_total"
    )

    assert response.status_code == 200
    series = response.json()["series"]
    assert list(series) == ["pain_score", "spo2", "news2_total"]
    assert [value for _, value in series["pain_score"]["points"]] == [3]
    assert [value for _, value in series["spo2"]["points"]] == [95]
    # SpO2 95 on scale 1 scores 1; the other parameters are missing.
    assert [value for _, value in series["news2_total"]["points"]] == [1]


def test_fluid_fields_are_charted(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    at = now - timedelta(hours=3)
    record(admission, nurse, at, fluid_in_iv=500, fluid_out_urine=250)

    response = client_for(nurse).get(url(admission), {"fields": "fluid_in_iv,fluid_out_urine"})

    assert response.json()["series"] == {
        "fluid_in_iv": {"points": [[iso(at), 500]], "total_points": 1, "downsampled": False},
        "fluid_out_urine": {"points": [[iso(at), 250]], "total_points": 1, "downsampled": False},
    }


def test_default_range_is_the_seven_days_up_to_now(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    record(admission, nurse, now - timedelta(days=8), heart_rate=Decimal("70"))
    inside = now - timedelta(days=6, hours=23)
    record(admission, nurse, inside, heart_rate=Decimal("90"))
    before = timezone.now()

    body = client_for(nurse).get(url(admission), {"fields": "heart_rate"}).json()

    start = datetime.fromisoformat(body["from"])
    end = datetime.fromisoformat(body["to"])
    assert end - start == timedelta(days=7)
    assert before <= end <= timezone.now()
    assert body["series"]["heart_rate"]["points"] == [[iso(inside), 90]]


def test_from_alone_runs_to_now_and_to_alone_looks_back_seven_days(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    client = client_for(nurse)
    start = now - timedelta(days=15)

    from_only = client.get(url(admission), {"fields": "spo2", "from": iso(start)}).json()
    to_only = client.get(url(admission), {"fields": "spo2", "to": iso(start)}).json()

    assert from_only["from"] == iso(start)
    assert datetime.fromisoformat(from_only["to"]) >= now
    assert to_only == {
        "admission": str(admission.pk),
        "from": iso(start - timedelta(days=7)),
        "to": iso(start),
        "series": {"spo2": {"points": [], "total_points": 0, "downsampled": False}},
        "bands": BANDS,
    }


def test_range_bounds_are_inclusive(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    t1, t2, t3 = (now - timedelta(hours=h) for h in (3, 2, 1))
    for at, rate in ((t1, 12), (t2, 18), (t3, 24)):
        record(admission, nurse, at, respiratory_rate=Decimal(rate))

    body = client_for(nurse).get(
        url(admission), {"fields": "respiratory_rate", "from": iso(t1), "to": iso(t2)}
    )

    assert body.json()["series"]["respiratory_rate"]["points"] == [[iso(t1), 12], [iso(t2), 18]]


def test_entered_in_error_readings_are_left_out_and_amended_ones_charted_as_corrected(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    t1, t2, t3 = (now - timedelta(hours=h) for h in (3, 2, 1))
    record(admission, nurse, t1, systolic_bp=Decimal("120"))
    wrong = record(admission, nurse, t2, systolic_bp=Decimal("12"))
    typo = record(admission, nurse, t3, systolic_bp=Decimal("130"))
    services.observation_mark_entered_in_error(observation=wrong, by=nurse, reason="Typo")
    services.observation_amend(
        observation=typo, by=nurse, changes={"systolic_bp": Decimal("113")}, reason="Misread"
    )

    body = client_for(nurse).get(url(admission), {"fields": "systolic_bp"}).json()

    assert body["series"]["systolic_bp"] == {
        "points": [[iso(t1), 120], [iso(t3), 113]],
        "total_points": 2,
        "downsampled": False,
    }


def test_other_admissions_readings_are_not_included(
    admission: Admission,
    organization: Organization,
    ward: Ward,
    nurse: User,
    now: datetime,
    client_for: ClientFor,
) -> None:
    other_patient = services.patient_create(
        organization=organization,
        mrn="MRN-2",
        given_name="Grace",
        family_name="Hopper",
        birth_date=date(1975, 12, 9),
        sex="female",
    )
    other = services.admission_admit(
        patient=other_patient, ward=ward, by=nurse, admitted_at=now - timedelta(days=1)
    )
    record(other, nurse, now - timedelta(hours=1), temperature=Decimal("39.9"))

    body = client_for(nurse).get(url(admission), {"fields": "temperature"}).json()

    assert body["series"]["temperature"]["total_points"] == 0


def test_long_ranges_are_downsampled_to_max_points_keeping_ends_and_spike(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    start = now - timedelta(days=4)
    times = [start + timedelta(hours=h) for h in range(60)]
    for index, at in enumerate(times):
        temperature = Decimal("40.1") if index == 33 else Decimal("37.0")
        record(admission, nurse, at, temperature=temperature)

    body = client_for(nurse).get(
        url(admission), {"fields": "temperature", "max_points": "10", "from": iso(start)}
    )

    series = body.json()["series"]["temperature"]
    assert series["total_points"] == 60
    assert series["downsampled"] is True
    assert len(series["points"]) == 10
    assert series["points"][0] == [iso(times[0]), 37]
    assert series["points"][-1] == [iso(times[-1]), 37]
    assert [iso(times[33]), 40.1] in series["points"]
    stamps = [point[0] for point in series["points"]]
    assert stamps == sorted(stamps)


def test_exactly_max_points_readings_are_not_downsampled(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    for hours in range(10, 0, -1):
        record(admission, nurse, now - timedelta(hours=hours), heart_rate=Decimal(60 + hours))

    series = (
        client_for(nurse)
        .get(url(admission), {"fields": "heart_rate", "max_points": "10"})
        .json()["series"]["heart_rate"]
    )

    assert series["total_points"] == 10
    assert series["downsampled"] is False
    assert [value for _, value in series["points"]] == list(range(70, 60, -1))


def test_bands_follow_the_news2_thresholds() -> None:
    assert list(NEWS2_BANDS) == BANDS
    for total in range(21):
        (band,) = [b["band"] for b in NEWS2_BANDS if b["min"] <= total <= (b["max"] or total)]
        assert band == news2_band(total, single_parameter_3=False)


# Validation -------------------------------------------------------------------------------


def test_unknown_field_is_a_400_problem_naming_it(
    admission: Admission, nurse: User, client_for: ClientFor
) -> None:
    response = client_for(nurse).get(
        url(admission), {"fields": "temperature,colour,on_oxygen,notes"}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == {
        "fields": [
            "Unknown field 'colour'.",
            "Unknown field 'on_oxygen'.",
            "Unknown field 'notes'.",
        ]
    }


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({}, {"fields": ["This field is required."]}),
        ({"fields": ""}, {"fields": ["This field may not be blank."]}),
        ({"fields": " , ,"}, {"fields": ["Name at least one field."]}),
        (
            {"fields": "spo2", "from": "2025-03-02T10:00:00Z", "to": "2025-03-01T10:00:00Z"},
            {"from": ["The start is after the end."]},
        ),
        (
            {"fields": "spo2", "from": "yesterday"},
            {
                "from": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        (
            {"fields": "spo2", "max_points": 9},
            {"max_points": ["Ensure this value is greater than or equal to 10."]},
        ),
        (
            {"fields": "spo2", "max_points": 5001},
            {"max_points": ["Ensure this value is less than or equal to 5000."]},
        ),
        (
            {"fields": "spo2", "max_points": "many"},
            {"max_points": ["A valid integer is required."]},
        ),
    ],
)
def test_invalid_query_is_a_400_problem(
    admission: Admission,
    nurse: User,
    client_for: ClientFor,
    query: dict[str, Any],
    errors: dict[str, list[str]],
) -> None:
    response = client_for(nurse).get(url(admission), query)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == errors


@pytest.mark.parametrize("max_points", [10, 5000])
def test_max_points_limits_are_accepted(
    admission: Admission, nurse: User, client_for: ClientFor, max_points: int
) -> None:
    response = client_for(nurse).get(
        url(admission), {"fields": "spo2", "max_points": str(max_points)}
    )

    assert response.status_code == 200


def test_every_numeric_field_may_be_asked_for(
    admission: Admission, nurse: User, client_for: ClientFor
) -> None:
    response = client_for(nurse).get(url(admission), {"fields": ",".join(SERIES_FIELDS)})

    assert response.status_code == 200
    assert list(response.json()["series"]) == list(SERIES_FIELDS)


# Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "physician", "nurse", "therapist", "viewer"])
def test_every_role_of_the_organisation_may_read(
    admission: Admission, client_for: ClientFor, request: pytest.FixtureRequest, role: str
) -> None:
    user = request.getfixturevalue(role)

    response = client_for(user).get(url(admission), {"fields": "spo2"})

    assert response.status_code == 200


def test_anonymous_gets_401(admission: Admission, client_for: ClientFor) -> None:
    response = client_for(None).get(url(admission), {"fields": "spo2"})

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_outsider_gets_404(
    admission: Admission, nurse: User, outsider: User, now: datetime, client_for: ClientFor
) -> None:
    record(admission, nurse, now - timedelta(hours=1), spo2=Decimal("91"))

    response = client_for(outsider).get(url(admission), {"fields": "spo2"})

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert "91" not in response.content.decode()


def test_outsider_gets_404_before_validation(
    admission: Admission, outsider: User, client_for: ClientFor
) -> None:
    response = client_for(outsider).get(url(admission), {"fields": "colour"})

    assert response.status_code == 404


def test_unknown_admission_is_404(nurse: User, client_for: ClientFor) -> None:
    response = client_for(nurse).get(
        "/api/v1/admissions/00000000-0000-0000-0000-000000000000/series/", {"fields": "spo2"}
    )

    assert response.status_code == 404


# Queries ----------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_number_of_fields(
    admission: Admission, nurse: User, now: datetime, client_for: ClientFor
) -> None:
    for hours in range(1, 6):
        record(
            admission,
            nurse,
            now - timedelta(hours=hours),
            temperature=Decimal("37.2"),
            heart_rate=Decimal(70 + hours),
            spo2=Decimal("97"),
            fluid_in_oral=200,
        )
    client = client_for(nurse)
    client.get(url(admission), {"fields": "spo2"})  # authenticate once (token last-used)

    with CaptureQueriesContext(connection) as one_field:
        assert client.get(url(admission), {"fields": "spo2"}).status_code == 200
    with CaptureQueriesContext(connection) as all_fields:
        response = client.get(url(admission), {"fields": ",".join(SERIES_FIELDS)})

    assert response.status_code == 200
    assert len(all_fields) == len(one_field)
    observation_queries = [q for q in all_fields if '"patients_observation"' in q["sql"]]
    assert len(observation_queries) == 1
