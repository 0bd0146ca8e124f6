"""Demo organisations and personas (one user per role), loaded by ``manage.py demo``."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction

from careboard.organizations.models import Membership, Organization, Ward
from careboard.organizations.roles import Role
from careboard.users.models import User


@dataclass(frozen=True)
class DemoOrganization:
    slug: str
    name: str
    email_domain: str
    wards: tuple[tuple[str, str, int], ...]  # (name, code, beds)
    time_zone: str


DEMO_ORGANIZATIONS = (
    DemoOrganization(
        slug="demo-hospital",
        name="Demo Hospital",
        email_domain="example.org",
        wards=(("Medical Ward 3", "M3", 30), ("Infectious Diseases", "ID", 24)),
        time_zone="Europe/Berlin",
    ),
    DemoOrganization(
        slug="other-clinic",
        name="Other Clinic",
        email_domain="other.example.org",
        wards=(("General Ward", "GW", 20),),
        time_zone="Asia/Bangkok",
    ),
)

_PERSONA_NAMES = {
    Role.ADMIN: "Alex Admin",
    Role.PHYSICIAN: "Dr. Priya Physician",
    Role.NURSE: "Noor Nurse",
    Role.THERAPIST: "Theo Therapist",
    Role.VIEWER: "Vic Viewer",
}


def persona_email(role: str, domain: str) -> str:
    return f"{role}@{domain}"


@transaction.atomic
def load_demo_organizations() -> list[Organization]:
    """Create (or complete) the demo organisations, wards and personas. Idempotent."""
    orgs = []
    for spec in DEMO_ORGANIZATIONS:
        org, _ = Organization.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name, "time_zone": spec.time_zone}
        )
        for name, code, beds in spec.wards:
            Ward.objects.get_or_create(
                organization=org, name=name, defaults={"code": code, "beds": beds}
            )
        for role in Role:
            email = persona_email(role.value, spec.email_domain)
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email=email,
                    password=settings.DEMO_PASSWORD,
                    name=f"{_PERSONA_NAMES[role]} ({spec.name})",
                )
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            Membership.objects.get_or_create(user=user, organization=org, defaults={"role": role})
        orgs.append(org)
    return orgs


def demo_logins() -> list[tuple[str, str, str]]:
    """(organisation, role, e-mail) for every persona, for printing."""
    return [
        (spec.name, role.value, persona_email(role.value, spec.email_domain))
        for spec in DEMO_ORGANIZATIONS
        for role in Role
    ]
