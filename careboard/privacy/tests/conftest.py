"""Fixtures of the privacy tests."""

from __future__ import annotations

import pytest

from careboard.organizations.tests.factories import WardFactory
from careboard.privacy.tests.factories import FullRecord, full_record


@pytest.fixture
def second_ward(organization):
    """Another ward of the same organisation (``other_ward`` is another organisation's)."""
    return WardFactory.create(organization=organization, name="Ward B")


@pytest.fixture
def quackenbush(organization, ward, second_ward, admin, nurse, physician, therapist) -> FullRecord:
    return full_record(
        organization=organization,
        ward=ward,
        other_ward=second_ward,
        admin=admin,
        nurse=nurse,
        physician=physician,
        therapist=therapist,
    )
