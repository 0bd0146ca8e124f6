"""The role rules, cell by cell. Written out by hand: a change to roles.py must change this."""

from __future__ import annotations

import pytest

from careboard.organizations.roles import RULES, Capability, Role, allows

A, P, N, T, V = Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.THERAPIST, Role.VIEWER

#                                    admin  physician nurse  therapist viewer
MATRIX: dict[Capability, tuple[bool, bool, bool, bool, bool]] = {
    Capability.ORGANIZATION_VIEW:   (True,  True,     True,  True,     True),
    Capability.ORGANIZATION_MANAGE: (True,  False,    False, False,    False),
    Capability.WARD_VIEW:           (True,  True,     True,  True,     True),
    Capability.WARD_MANAGE:         (True,  False,    False, False,    False),
    Capability.MEMBERSHIP_VIEW:     (True,  False,    False, False,    False),
    Capability.MEMBERSHIP_MANAGE:   (True,  False,    False, False,    False),
    Capability.INVITATION_MANAGE:   (True,  False,    False, False,    False),
    Capability.PATIENT_VIEW:        (True,  True,     True,  True,     True),
    Capability.PATIENT_WRITE:       (True,  True,     True,  True,     False),
    Capability.ADMISSION_WRITE:     (False, True,     True,  False,    False),
    Capability.ADMISSION_CLINICAL:  (False, True,     False, False,    False),
    Capability.OBSERVATION_RECORD:  (False, True,     True,  False,    False),
    Capability.EXERCISE_VIEW:       (True,  True,     True,  True,     True),
    Capability.EXERCISE_MANAGE:     (True,  False,    False, True,     False),
    Capability.PROGRAM_VIEW:        (True,  True,     True,  True,     True),
    Capability.PROGRAM_WRITE:       (False, True,     False, True,     False),
    Capability.ASSIGNMENT_WRITE:    (False, True,     False, True,     False),
    Capability.ACCESS_LOG_VIEW:     (True,  False,    False, False,    False),
    Capability.PATIENT_EXPORT:      (True,  False,    False, False,    False),
    Capability.PATIENT_ERASE:       (True,  False,    False, False,    False),
    Capability.CONSENT_WRITE:       (True,  True,     True,  True,     False),
}  # fmt: skip


def test_every_capability_has_a_row_in_the_matrix():
    assert set(MATRIX) == set(Capability) == set(RULES)


@pytest.mark.parametrize(
    ("capability", "role", "expected"),
    [
        (capability, role, expected)
        for capability, row in MATRIX.items()
        for role, expected in zip((A, P, N, T, V), row, strict=True)
    ],
)
def test_role_grants_capability_exactly_as_declared(capability, role, expected):
    assert allows(role, capability) is expected


@pytest.mark.parametrize("role", [None, "", "superuser", "ADMIN"])
def test_unknown_or_missing_role_grants_nothing(role):
    assert not any(allows(role, capability) for capability in Capability)
