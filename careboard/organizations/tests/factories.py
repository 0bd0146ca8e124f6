from __future__ import annotations

import factory

from careboard.organizations.models import Membership, Organization, Ward
from careboard.organizations.roles import Role
from careboard.users.tests.factories import UserFactory


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    time_zone = "Europe/Berlin"


class WardFactory(factory.django.DjangoModelFactory[Ward]):
    class Meta:
        model = Ward

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")
    beds = 20


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.NURSE
