"""Test data for the privacy app: a patient whose data reaches every table erasure must
clean (current rows and history), built through the services like the API would."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from careboard.builder import assignments
from careboard.builder.models import ActivityLog, Assignment
from careboard.builder.tests.assignment_factories import log, make_program
from careboard.organizations.models import Organization, Ward
from careboard.patients import services as patient_services
from careboard.patients.models import Admission, Observation, Patient
from careboard.patients.tests.factories import PatientFactory, record, vitals
from careboard.privacy import services
from careboard.privacy.models import ConsentRecord
from careboard.users.models import User

GIVEN = "Wilhelmina"
FAMILY = "Quackenbush"
MRN = "QX-778899"
BIRTH_DATE = dt.date(1957, 3, 14)
PHONE = "+49 30 5550199"
OLD_PHONE = "+49 30 5550100"
EMAIL = "w.quackenbush@example.test"


class ConsentRecordFactory(factory.django.DjangoModelFactory[ConsentRecord]):
    class Meta:
        model = ConsentRecord

    patient = factory.SubFactory(PatientFactory)
    purpose = "program"
    decision = "given"
    decided_at = factory.LazyFunction(timezone.now)


@dataclass
class FullRecord:
    patient: Patient
    admission: Admission
    amended: Observation
    struck_out: Observation
    assignment: Assignment
    activity: ActivityLog
    portal_secret: str


def full_record(
    *,
    organization: Organization,
    ward: Ward,
    other_ward: Ward,
    admin: User,
    nurse: User,
    physician: User,
    therapist: User,
) -> FullRecord:
    """Wilhelmina Quackenbush: registered, corrected, admitted on the dengue protocol with
    an interval override, phase change, observations (noted, amended, struck out), moved,
    discharged; following a home program with a portal link and a logged session; with a
    consent and an admin-log entry. Her identifiers are in free text throughout."""
    now = timezone.now()
    patient = patient_services.patient_create(
        organization=organization,
        by=admin,
        mrn=MRN.lower(),
        given_name=GIVEN,
        family_name=FAMILY,
        birth_date=BIRTH_DATE,
        sex="female",
        phone=OLD_PHONE,
    )
    # A correction: the history keeps the old phone and the lower-case MRN.
    patient_services.patient_update(patient=patient, by=admin, mrn=MRN, phone=PHONE, email=EMAIL)

    admission = patient_services.admission_admit(
        patient=patient,
        ward=ward,
        by=nurse,
        bed="3",
        protocol="dengue",
        admitted_at=now - dt.timedelta(days=3),
    )
    patient_services.admission_set_interval_override(
        admission=admission,
        by=physician,
        minutes=30,
        reason=f"{FAMILY} ({BIRTH_DATE:%d%m%Y}) is anxious",
    )
    patient_services.admission_set_phase(
        admission=admission,
        by=physician,
        phase="critical",
        note=f"{GIVEN} {FAMILY} *{BIRTH_DATE:%Y%m%d}: leak",
    )
    amended = record(
        admission,
        by=nurse,
        at=now - dt.timedelta(days=2),
        **vitals(temperature=38.2, notes=f"Mrs {FAMILY} ({MRN}) comfortable"),
    )
    patient_services.observation_amend(
        observation=amended,
        by=nurse,
        changes={"heart_rate": Decimal(80)},
        reason=f"Typo; asked {GIVEN} again",
    )
    struck_out = record(
        admission,
        by=nurse,
        at=now - dt.timedelta(days=1),
        **vitals(notes=f"Phone {PHONE.replace(' ', '')}, DOB {BIRTH_DATE:%m/%d/%Y}"),
    )
    patient_services.observation_mark_entered_in_error(
        observation=struck_out, by=nurse, reason=f"Not {FAMILY}'s chart"
    )
    patient_services.admission_transfer(admission=admission, by=nurse, ward=other_ward, bed="7")
    patient_services.admission_discharge(admission=admission, by=physician, outcome="home")

    program = make_program(organization, name="Knee program")
    assignment, secret = assignments.assignment_assign(
        program=program, patient=patient, by=therapist, start_date=timezone.localdate()
    )
    # A program given to one person may carry their name; the history keeps it too.
    assignment.snapshot = {**assignment.snapshot, "name": f"Knee program for {FAMILY}"}
    assignment.save()
    activity = log(
        assignment,
        session="Strength",
        on=timezone.localdate(),
        comment=f"{GIVEN} here (born {BIRTH_DATE:%d/%m/%Y}): the knee hurts",
        request_fingerprint=hashlib.sha256(GIVEN.encode()).hexdigest(),
    )
    services.consent_record(
        patient=patient,
        by=nurse,
        purpose="program",
        decision="given",
        note=f"Signed by {GIVEN} {FAMILY}, born {BIRTH_DATE:%d.%m.%Y}",
    )
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(patient.pk),
        object_repr=str(patient),
        action_flag=CHANGE,
        change_message=f"Changed the phone of {FAMILY}.",
    )
    patient.refresh_from_db()
    admission.refresh_from_db()
    return FullRecord(
        patient=patient,
        admission=admission,
        amended=amended,
        struck_out=struck_out,
        assignment=assignment,
        activity=activity,
        portal_secret=secret,
    )
