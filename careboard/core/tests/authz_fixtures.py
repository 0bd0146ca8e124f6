"""Fixtures of the authorization matrix: two organisations holding one of everything.

``build_world()`` makes the caller's organisation ("own") and another one ("other") with the
same rows: wards, patients, an open admission with an observation, an exercise, a published
program with a session and an item, a template, an assignment with its portal token, a
member, a pending invitation and that member's API token. Every matrix cell builds a fresh
world inside its own test transaction, so a successful write never reaches another cell.

Rows are few and made directly where the services add nothing the matrix needs; the
admission, the observation and the assignment go through their services so that the
denormalised fields (scores, next due time, snapshot, portal token) are what the API
would have stored.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from careboard.builder.assignments import organization_today
from careboard.builder.models import Assignment, Exercise, Program, ProgramItem, ProgramSession
from careboard.builder.tests.assignment_factories import (
    ExerciseFactory,
    ProgramFactory,
    ProgramItemFactory,
    ProgramSessionFactory,
    assign,
)
from careboard.organizations.models import Invitation, Membership, Organization, Ward
from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    WardFactory,
)
from careboard.patients.models import Admission, Observation, Patient, Protocol
from careboard.patients.tests.factories import PatientFactory, admit, record
from careboard.users.models import ApiToken, User
from careboard.users.services import api_token_create
from careboard.users.tokens import digest

STAFF_ROLES: tuple[str, ...] = tuple(Role.values)
PORTAL = "portal"
ANONYMOUS = "anonymous"
ROLES: tuple[str, ...] = (*STAFF_ROLES, PORTAL, ANONYMOUS)


@dataclass
class OrgWorld:
    """One organisation's rows. Attribute names are what the matrix table refers to."""

    organization: Organization
    ward: Ward
    spare_ward: Ward  # a transfer's destination
    patient: Patient  # admitted, follows ``program``
    free_patient: Patient  # neither admitted nor assigned: for admit and assign
    admission: Admission  # open, dengue protocol (so that a phase can be set)
    observation: Observation
    exercise: Exercise
    program: Program  # published, one session of two items (one may go)
    session: ProgramSession
    item: ProgramItem
    template: Program
    assignment: Assignment  # active from today
    portal_secret: str
    clinician: User  # a physician; records, admits and assigns in the fixtures
    membership: Membership  # the clinician's
    invitation: Invitation  # pending
    token: ApiToken  # the clinician's

    def today(self) -> dt.date:
        return organization_today(self.organization)

    def session_in_snapshot(self) -> str:
        return str(self.assignment.snapshot["sessions"][0]["id"])

    def ids(self) -> set[str]:
        """Every public id of the organisation's rows, as the API writes them."""
        rows = (
            self.organization,
            self.ward,
            self.spare_ward,
            self.patient,
            self.free_patient,
            self.admission,
            self.observation,
            self.exercise,
            self.program,
            self.session,
            self.item,
            self.template,
            self.assignment,
            self.membership,
            self.invitation,
            self.token,
        )
        return {str(row.pk) for row in rows} | {str(self.clinician.public_id)}


@dataclass
class World:
    own: OrgWorld
    other: OrgWorld


@dataclass
class Caller:
    """Who sends a matrix request: a staff role, the portal patient, or nobody."""

    role: str
    client: APIClient
    authorization: str | None = None  # the Authorization header the client sends
    user: User | None = None
    token: ApiToken | None = None  # a second token of the user's, for the token routes


def build_org(label: str) -> OrgWorld:
    organization = OrganizationFactory.create(name=f"{label} hospital")
    ward = WardFactory.create(organization=organization, name=f"{label} ward")
    spare_ward = WardFactory.create(organization=organization, name=f"{label} spare ward")
    membership = MembershipFactory.create(organization=organization, role=Role.PHYSICIAN)
    clinician = membership.user
    patient = PatientFactory.create(organization=organization)
    free_patient = PatientFactory.create(organization=organization)
    admission = admit(ward=ward, by=clinician, patient=patient, protocol=Protocol.DENGUE)
    observation = record(admission, by=clinician, minutes_ago=30)
    exercise = ExerciseFactory.create(organization=organization)
    program = ProgramFactory.create(organization=organization)
    session = ProgramSessionFactory.create(program=program, position=1, days_of_week=[])
    item = ProgramItemFactory.create(session=session, position=1, exercise=exercise)
    ProgramItemFactory.create(session=session, position=2, exercise=exercise)
    template = ProgramFactory.create(organization=organization, is_template=True)
    assignment, portal_secret = assign(
        program=program,
        patient=patient,
        by=clinician,
        start_date=organization_today(organization),
    )
    invitation = Invitation.objects.create(
        organization=organization,
        email=f"invitee-{uuid.uuid4().hex[:8]}@example.test",
        role=Role.NURSE,
        invited_by=clinician,
        token_hash=digest(secrets.token_urlsafe(16)),
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    token, _secret = api_token_create(user=clinician, name="clinician")
    if apps.is_installed("careboard.privacy"):
        from careboard.privacy.models import AccessAction, AccessLog

        # One read in the access log, so that the log's list has a row to show or to keep.
        AccessLog.objects.create(
            organization=organization,
            user=clinician,
            action=AccessAction.PATIENT_VIEW,
            patient_id=patient.pk,
        )
    return OrgWorld(
        organization=organization,
        ward=ward,
        spare_ward=spare_ward,
        patient=patient,
        free_patient=free_patient,
        admission=admission,
        observation=observation,
        exercise=exercise,
        program=program,
        session=session,
        item=item,
        template=template,
        assignment=assignment,
        portal_secret=portal_secret,
        clinician=clinician,
        membership=membership,
        invitation=invitation,
        token=token,
    )


def build_world() -> World:
    return World(own=build_org("Own"), other=build_org("Other"))


_handler: Any = None


def api_client() -> APIClient:
    """An API client sharing one request handler with the others made here: a new handler
    loads the middleware again, and WhiteNoise's (with ``WHITENOISE_USE_FINDERS``) walks
    every static file each time, some 30 ms a client."""
    global _handler
    client = APIClient()
    if _handler is None:
        _handler = client.handler
    else:
        client.handler = _handler
    return client


def caller_for(role: str, world: World) -> Caller:
    """A client for ``role``: a new member of the own organisation with a bearer token,
    the own assignment's portal token, or no credentials."""
    client = api_client()
    if role == ANONYMOUS:
        return Caller(role=role, client=client)
    if role == PORTAL:
        header = f"Bearer {world.own.portal_secret}"
        client.credentials(HTTP_AUTHORIZATION=header)
        return Caller(role=role, client=client, authorization=header)
    user = MembershipFactory.create(organization=world.own.organization, role=role).user
    _token, secret = api_token_create(user=user, name="matrix")
    spare, _spare_secret = api_token_create(user=user, name="spare")
    header = f"Bearer {secret}"
    client.credentials(HTTP_AUTHORIZATION=header)
    return Caller(role=role, client=client, authorization=header, user=user, token=spare)


def invitation_token_for(email: str, organization: Organization) -> str:
    """The secret of a new pending invitation of ``organization`` for ``email``."""
    secret = secrets.token_urlsafe(16)
    Invitation.objects.create(
        organization=organization,
        email=email,
        role=Role.VIEWER,
        token_hash=digest(secret),
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    return secret
