"""Representation: the kept serializer answers exactly what a new one per object does."""

from __future__ import annotations

import pytest
from rest_framework.renderers import JSONRenderer

from careboard.patients import services
from careboard.patients.api.serializers import ObservationSerializer, observation_data
from careboard.patients.models import Protocol
from careboard.patients.tests.factories import VITALS_HIGH_8, VITALS_MEDIUM_6, admit, record

pytestmark = pytest.mark.django_db


def test_observations_render_byte_for_byte_as_the_serializer_renders_them(nurse, ward):
    general = admit(ward=ward, by=nurse, bed="1")
    dengue = admit(ward=ward, by=nurse, bed="2", protocol=Protocol.DENGUE)
    observations = [
        record(general, by=nurse, minutes_ago=90, **VITALS_MEDIUM_6),
        record(general, by=nurse, minutes_ago=30, **VITALS_HIGH_8),
        record(dengue, by=nurse, minutes_ago=20, temperature=38.6, platelets=95.0),
    ]
    withdrawn = services.observation_mark_entered_in_error(
        observation=observations[0], by=nurse, reason="Wrong patient"
    )
    observations[0] = withdrawn
    renderer = JSONRenderer()

    for observation in observations:
        expected = ObservationSerializer(observation).data
        assert observation_data(observation) == expected
        assert renderer.render(observation_data(observation)) == renderer.render(expected)
    assert observation_data(withdrawn)["status_changed_by"] is not None
    assert observation_data(observations[1])["status_changed_by"] is None
