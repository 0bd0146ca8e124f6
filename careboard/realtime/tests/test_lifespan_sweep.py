"""The overdue sweep inside the server process (the embedded default needs no worker), and
websocket clients that send no Origin header."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from careboard.patients import services
from careboard.patients.tests.factories import PatientFactory
from careboard.realtime.tests.communicator import WebsocketCommunicator
from careboard.users.services import api_token_create
from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@database_sync_to_async
def overdue_admission(ward, nurse):
    patient = PatientFactory.create(organization=ward.organization)
    # Admitted an hour ago and never observed: the first observation was due on admission.
    return services.admission_admit(
        patient=patient, ward=ward, by=nurse, admitted_at=timezone.now() - timedelta(hours=1)
    )


@database_sync_to_async
def secret_for(user):
    return api_token_create(user=user, name="ws")[1]


async def test_the_server_sweeps_and_alerts_live_without_a_worker(ward, nurse, settings):
    settings.OVERDUE_SWEEP_SECONDS = 0.2
    await get_channel_layer().flush()
    lifespan = ApplicationCommunicator(application, {"type": "lifespan"})
    await lifespan.send_input({"type": "lifespan.startup"})
    assert (await lifespan.receive_output(2))["type"] == "lifespan.startup.complete"

    # A program's client: a bearer token and no Origin header.
    ws = WebsocketCommunicator(
        application, "/ws/", subprotocols=["bearer", await secret_for(nurse)]
    )
    connected, _ = await ws.connect()
    assert connected
    await ws.send_json_to({"action": "subscribe", "ward": str(ward.pk)})
    assert (await ws.receive_json_from())["type"] == "subscribed"

    admission = await overdue_admission(ward, nurse)
    await ws.receive_json_from(3)  # admission.changed for the admission itself
    alert = await ws.receive_json_from(3)
    assert alert["type"] == "alert.overdue"
    assert alert["admission"] == str(admission.pk)
    # Once per overdue period, however often the sweep runs.
    await asyncio.sleep(0.6)
    assert await ws.receive_nothing(0.3)

    await ws.disconnect()
    await lifespan.send_input({"type": "lifespan.shutdown"})
    assert (await lifespan.receive_output(2))["type"] == "lifespan.shutdown.complete"


async def test_a_session_cookie_without_origin_still_authenticates_nothing(ward):
    # No Origin and no credentials: accepted by the validator, refused as anonymous.
    ws = WebsocketCommunicator(application, "/ws/")
    connected, code = await ws.connect()
    if connected:  # the consumer accepts, then closes with 4401
        closed = await ws.receive_output(1)
        code = closed.get("code")
    assert code == 4401
