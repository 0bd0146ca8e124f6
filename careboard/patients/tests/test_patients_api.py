"""/api/v1/patients/: register, read, edit, search and filter patients."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory, WardFactory
from careboard.patients import services
from careboard.patients.models import Patient
from careboard.patients.tests.factories import PatientFactory, admit

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"

NEW_PATIENT = {
    "mrn": "A-1001",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "birth_date": "1985-12-10",
    "sex": "female",
    "preferred_language": "en",
    "phone": "+49 30 1234567",
    "email": "ada@example.test",
}


def detail(patient: Patient) -> str:
    return f"{URL}{patient.pk}/"


@pytest.fixture
def patient(organization):
    return PatientFactory.create(
        organization=organization, mrn="H-42", given_name="Grace", family_name="Hopper"
    )


# Create ---------------------------------------------------------------------------------


def test_nurse_registers_a_patient(client_for, nurse, organization):
    response = client_for(nurse).post(URL, NEW_PATIENT)

    assert response.status_code == 201
    body = response.json()
    patient = Patient.objects.get()
    assert body["id"] == str(patient.pk)
    assert uuid.UUID(body["id"]).version == 4
    assert body["organization"] == str(organization.pk)
    assert {key: body[key] for key in NEW_PATIENT} == NEW_PATIENT
    assert body["current_admission"] is None
    assert patient.organization == organization
    assert patient.birth_date == dt.date(1985, 12, 10)


def test_optional_contact_fields_may_be_left_out(client_for, nurse):
    data = {k: v for k, v in NEW_PATIENT.items() if k not in ("phone", "email")}
    response = client_for(nurse).post(URL, data)
    assert response.status_code == 201
    assert response.json()["phone"] == ""
    assert response.json()["email"] == ""


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, 201),
        (Role.PHYSICIAN, 201),
        (Role.NURSE, 201),
        (Role.THERAPIST, 201),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_register_a_patient(client_for, make_member, role, expected):
    response = client_for(make_member(role)).post(URL, NEW_PATIENT)
    assert response.status_code == expected
    assert Patient.objects.count() == (1 if expected == 201 else 0)


def test_viewer_naming_the_organisation_is_still_refused(client_for, viewer, organization):
    response = client_for(viewer).post(URL, {**NEW_PATIENT, "organization": str(organization.pk)})
    assert response.status_code == 403
    assert not Patient.objects.exists()


def test_mrn_is_unique_within_the_organisation(client_for, nurse, patient):
    response = client_for(nurse).post(URL, {**NEW_PATIENT, "mrn": "h-42"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"mrn": ["Another patient has this hospital number."]}
    assert Patient.objects.count() == 1


def test_same_mrn_is_fine_in_another_organisation(client_for, outsider, patient):
    response = client_for(outsider).post(URL, {**NEW_PATIENT, "mrn": "H-42"})
    assert response.status_code == 201
    assert Patient.objects.filter(mrn="H-42").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "2999-01-01", "The date of birth is in the future."),
        ("birth_date", "1985-02-30", None),
        ("sex", "robot", '"robot" is not a valid choice.'),
        ("mrn", "   ", "This field may not be blank."),
        ("given_name", "", "This field may not be blank."),
        ("email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_invalid_patient_is_refused_on_its_field(client_for, nurse, field, value, message):
    response = client_for(nurse).post(URL, {**NEW_PATIENT, field: value})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]
    assert not Patient.objects.exists()


def test_tomorrow_is_a_future_birth_date(client_for, nurse):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(nurse).post(URL, {**NEW_PATIENT, "birth_date": tomorrow.isoformat()})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["birth_date"]


@pytest.mark.parametrize("field", ["mrn", "given_name", "family_name", "birth_date", "sex"])
def test_required_fields(client_for, nurse, field):
    data = {k: v for k, v in NEW_PATIENT.items() if k != field}
    response = client_for(nurse).post(URL, data)
    assert response.status_code == 400
    assert response.json()["errors"] == {field: ["This field is required."]}
    assert not Patient.objects.exists()


def test_member_of_two_organisations_must_name_one(
    client_for, make_member, organization, other_organization
):
    nurse = make_member(Role.NURSE)
    MembershipFactory.create(user=nurse, organization=other_organization, role=Role.NURSE)
    client = client_for(nurse)

    refused = client.post(URL, NEW_PATIENT)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"organization": ["This field is required."]}
    assert not Patient.objects.exists()

    created = client.post(URL, {**NEW_PATIENT, "organization": str(other_organization.pk)})
    assert created.status_code == 201
    assert Patient.objects.get().organization == other_organization


def test_outsider_cannot_register_a_patient_in_our_organisation(client_for, outsider, organization):
    response = client_for(outsider).post(URL, {**NEW_PATIENT, "organization": str(organization.pk)})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["organization"]
    assert not Patient.objects.filter(organization=organization).exists()


def test_anonymous_caller_gets_401_and_nothing_is_stored(api_client, patient):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(detail(patient)).status_code == 401
    assert api_client.post(URL, NEW_PATIENT).status_code == 401
    assert api_client.patch(detail(patient), {"given_name": "X"}).status_code == 401
    assert Patient.objects.count() == 1
    patient.refresh_from_db()
    assert patient.given_name == "Grace"


# Read -----------------------------------------------------------------------------------


def test_viewer_reads_a_patient(client_for, viewer, patient):
    response = client_for(viewer).get(detail(patient))
    assert response.status_code == 200
    assert response.json()["mrn"] == "H-42"


def test_patient_shows_the_current_admission(client_for, nurse, ward, patient):
    admission = admit(ward=ward, by=nurse, patient=patient, bed="7")
    body = client_for(nurse).get(detail(patient)).json()
    assert body["current_admission"] == {
        "id": str(admission.pk),
        "ward": str(ward.pk),
        "ward_name": "Ward A",
        "bed": "7",
        "admitted_at": admission.admitted_at.isoformat(),
    }


def test_outsider_gets_404_and_their_list_does_not_contain_ours(
    client_for, outsider, patient, other_organization
):
    theirs = PatientFactory.create(organization=other_organization)
    client = client_for(outsider)
    assert client.get(detail(patient)).status_code == 404
    listed = client.get(URL).json()["results"]
    assert [p["id"] for p in listed] == [str(theirs.pk)]


def test_unknown_id_is_404(client_for, nurse):
    assert client_for(nurse).get(f"{URL}{uuid.uuid4()}/").status_code == 404


def test_delete_is_not_offered(client_for, admin, patient):
    assert client_for(admin).delete(detail(patient)).status_code == 405
    assert Patient.objects.filter(pk=patient.pk).exists()


# Search and filters ---------------------------------------------------------------------


@pytest.fixture
def roster(organization, ward, nurse):
    """Three patients: Grace Hopper on Ward A, Alan Turing on Ward B, Ada Byron at home."""
    ward_b = WardFactory.create(organization=organization, name="Ward B")
    hopper = PatientFactory.create(
        organization=organization, mrn="H-100", given_name="Grace", family_name="Hopper"
    )
    turing = PatientFactory.create(
        organization=organization, mrn="T-200", given_name="Alan", family_name="Turing"
    )
    byron = PatientFactory.create(
        organization=organization, mrn="B-300", given_name="Ada", family_name="Byron"
    )
    admit(ward=ward, by=nurse, patient=hopper)
    admit(ward=ward_b, by=nurse, patient=turing)
    # Byron was admitted before and went home.
    services.admission_discharge(
        admission=admit(ward=ward, by=nurse, patient=byron), by=nurse, outcome="home"
    )
    return {"hopper": hopper, "turing": turing, "byron": byron, "ward_b": ward_b}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [p["family_name"] for p in response.json()["results"]]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("hopper", ["Hopper"]),
        ("grace hop", ["Hopper"]),
        ("a", ["Byron", "Hopper", "Turing"]),
        ("T-200", ["Turing"]),
        ("t-2", ["Turing"]),
        ("nobody", []),
    ],
)
def test_search_by_name_or_mrn(client_for, nurse, roster, term, expected):
    assert _names(client_for(nurse).get(URL, {"search": term})) == expected


def test_filter_by_ward(client_for, nurse, ward, roster):
    client = client_for(nurse)
    assert _names(client.get(URL, {"ward": str(ward.pk)})) == ["Hopper"]
    assert _names(client.get(URL, {"ward": str(roster["ward_b"].pk)})) == ["Turing"]


def test_filter_by_current_admission(client_for, nurse, roster, organization):
    PatientFactory.create(organization=organization, family_name="Zuse", given_name="Konrad")
    client = client_for(nurse)
    assert _names(client.get(URL, {"admitted": "true"})) == ["Hopper", "Turing"]
    assert _names(client.get(URL, {"admitted": "false"})) == ["Byron", "Zuse"]


def test_filters_combine(client_for, nurse, ward, roster):
    response = client_for(nurse).get(URL, {"ward": str(ward.pk), "search": "grace"})
    assert _names(response) == ["Hopper"]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"admitted": "maybe"}, "admitted"), ({"ward": "not-a-uuid"}, "ward")],
)
def test_invalid_filter_is_400(client_for, nurse, roster, params, field):
    response = client_for(nurse).get(URL, params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


# Edit -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, 200),
        (Role.PHYSICIAN, 200),
        (Role.NURSE, 200),
        (Role.THERAPIST, 200),
        (Role.VIEWER, 403),
    ],
)
def test_who_may_edit_a_patient(client_for, make_member, patient, role, expected):
    response = client_for(make_member(role)).patch(detail(patient), {"phone": "+49 1"})
    assert response.status_code == expected
    patient.refresh_from_db()
    assert patient.phone == ("+49 1" if expected == 200 else "")


def test_edit_keeps_history(client_for, nurse, patient):
    response = client_for(nurse).patch(detail(patient), {"family_name": "Murray Hopper"})
    assert response.status_code == 200
    assert response.json()["family_name"] == "Murray Hopper"
    latest = patient.history.latest()
    assert latest.family_name == "Murray Hopper"
    assert latest.history_user == nurse
    assert latest.prev_record.family_name == "Hopper"


def test_edit_to_a_taken_mrn_is_refused(client_for, nurse, patient, organization):
    other = PatientFactory.create(organization=organization, mrn="Z-9")
    response = client_for(nurse).patch(detail(other), {"mrn": "H-42"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"mrn": ["Another patient has this hospital number."]}
    other.refresh_from_db()
    assert other.mrn == "Z-9"


def test_edit_to_a_future_birth_date_is_refused(client_for, nurse, patient):
    response = client_for(nurse).patch(detail(patient), {"birth_date": "2999-01-01"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["birth_date"]
    patient.refresh_from_db()
    assert patient.birth_date == dt.date(1960, 5, 17)


def test_patient_cannot_move_to_another_organisation(
    client_for, nurse, patient, other_organization
):
    MembershipFactory.create(user=nurse, organization=other_organization, role=Role.NURSE)
    response = client_for(nurse).patch(
        detail(patient), {"organization": str(other_organization.pk)}
    )
    assert response.status_code == 400
    patient.refresh_from_db()
    assert patient.organization_id != other_organization.pk


def test_outsider_cannot_edit_our_patient(client_for, outsider, patient):
    response = client_for(outsider).patch(detail(patient), {"given_name": "Mallory"})
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.given_name == "Grace"
