"""After erasure, a dump of the whole database holds nothing that identifies the patient.

Every table (Django's, simple-history's, the builder's, ours) is read with ``SELECT *``
through the same connection, and each value searched for the name, the MRN, the birth date
in the ways it is commonly written, the phone numbers and the e-mail address. Runs on
SQLite and on PostgreSQL (``DATABASE_URL``) alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from careboard.privacy.models import AccessLog
from careboard.privacy.tests.factories import (
    BIRTH_DATE,
    EMAIL,
    FAMILY,
    GIVEN,
    MRN,
    OLD_PHONE,
    PHONE,
    FullRecord,
)

pytestmark = pytest.mark.django_db

NEEDLES = {
    "given name": GIVEN,
    "family name": FAMILY,
    "MRN": MRN,
    "phone": PHONE,
    "phone digits": PHONE.replace(" ", "").lstrip("+"),
    "former phone": OLD_PHONE,
    "e-mail": EMAIL,
    "birth date (ISO)": "1957-03-14",
    "birth date (digits)": "19570314",
    "birth date (d.m.Y)": "14.03.1957",
    "birth date (d/m/Y)": "14/03/1957",
    "birth date (m/d/Y)": "03/14/1957",
    "birth date (dmY digits)": "14031957",
}
assert BIRTH_DATE.isoformat() == NEEDLES["birth date (ISO)"]


def _text(value: Any) -> str:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def dump() -> dict[str, list[str]]:
    """Every value of every table, as text: ``{table: [values]}``."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        out = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 (table names)
            out[table] = [_text(value) for row in cursor.fetchall() for value in row]
    return out


def found(tables: dict[str, list[str]]) -> dict[str, list[str]]:
    """``{needle: [tables it was found in]}`` (case-insensitive)."""
    hits: dict[str, list[str]] = {}
    for label, needle in NEEDLES.items():
        for table, values in tables.items():
            if any(needle.lower() in value.lower() for value in values):
                hits.setdefault(label, []).append(table)
    return hits


def test_the_dump_finds_the_patient_everywhere_before_erasure(quackenbush: FullRecord):
    # The search works: before erasure, every identifier is found, in the tables expected.
    hits = found(dump())

    assert set(hits) == set(NEEDLES)
    assert {
        "patients_patient",
        "patients_historicalpatient",
        "patients_observation",
        "patients_historicalobservation",
        "patients_admission",
        "patients_historicaladmission",
        "patients_phasechange",
        "builder_assignment",
        "builder_historicalassignment",
        "builder_activitylog",
        "privacy_consentrecord",
        "django_admin_log",
    } <= {table for tables in hits.values() for table in tables}


def test_after_erasure_the_dump_holds_no_name_mrn_birth_date_phone_or_email(
    quackenbush: FullRecord, client_for, admin, nurse
):
    patient = quackenbush.patient
    # Reads before the erasure: the access log must not keep the search either.
    nurse_client = client_for(nurse)
    assert nurse_client.get("/api/v1/patients/", {"search": FAMILY}).status_code == 200
    assert nurse_client.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert client_for(admin).get(f"/api/v1/patients/{patient.pk}/export/").status_code == 200

    response = client_for(admin).post(
        f"/api/v1/patients/{patient.pk}/erase/",
        {"reason": f"Letter of {GIVEN} {FAMILY}, born {BIRTH_DATE:%d.%m.%Y}, MRN {MRN}"},
    )

    assert response.status_code == 200
    assert found(dump()) == {}
    # The access log survives, by id.
    assert AccessLog.objects.filter(patient_id=patient.pk).count() == 3
