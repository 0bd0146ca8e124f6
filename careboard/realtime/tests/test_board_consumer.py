"""The board's websocket (`/ws/`) through the whole ASGI application: authentication, access
to wards and organisations, and the live events the services publish after commit.

Database work runs in ``database_sync_to_async`` outside any atomic block (``transaction=True``),
so the services' on-commit callbacks run as they do in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from careboard.organizations import services as org_services
from careboard.organizations.models import Membership
from careboard.organizations.tests.factories import WardFactory
from careboard.patients import services
from careboard.patients.models import Admission, Observation, Outcome
from careboard.patients.overdue import sweep_overdue
from careboard.realtime.tests.communicator import WebsocketCommunicator
from careboard.users.services import api_token_create, api_token_revoke
from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

# A browser on an allowed host; the origin validator refuses any other origin.
BROWSER = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
# Long enough for a round trip through Redis when CI runs with REDIS_URL.
WAIT = 3

NEWS2_ZERO = {
    "respiratory_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 125,
    "heart_rate": 72,
    "consciousness": "A",
    "temperature": Decimal("36.8"),
}


@pytest_asyncio.fixture(autouse=True)
async def _empty_channel_layer() -> AsyncIterator[None]:
    # The layer outlives a test (in memory: the process; with Redis: the server): start and
    # end each test without groups or queued messages from another.
    layer = get_channel_layer()
    await layer.flush()
    yield
    await layer.flush()


def token_for(user: Any) -> str:
    _token, secret = api_token_create(user=user, name="websocket test")
    return secret


def admit(ward: Any, by: Any, mrn: str) -> Admission:
    patient = services.patient_create(
        organization=ward.organization,
        mrn=mrn,
        given_name="Ada",
        family_name="Lovelace",
        birth_date=date(1960, 5, 1),
        sex="female",
    )
    return services.admission_admit(
        patient=patient, ward=ward, by=by, admitted_at=timezone.now() - timedelta(hours=2)
    )


@pytest.fixture
def admission(ward, nurse) -> Admission:
    """Admitted two hours ago, never observed: overdue since admission."""
    return admit(ward, nurse, "M-1")


@contextlib.asynccontextmanager
async def connected(
    secret: str | None = None, headers: list[tuple[bytes, bytes]] | None = None
) -> AsyncIterator[WebsocketCommunicator]:
    """An accepted connection with a bearer token (or with ``headers`` alone)."""
    communicator = WebsocketCommunicator(
        application,
        "/ws/",
        headers=headers or BROWSER,
        subprotocols=["bearer", secret] if secret else None,
    )
    accepted, subprotocol = await communicator.connect(timeout=WAIT)
    assert accepted is True
    assert subprotocol == ("bearer" if secret else None)
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def subscribe(communicator: WebsocketCommunicator, **target: Any) -> dict[str, Any]:
    await communicator.send_json_to(
        {"action": "subscribe", **{key: str(value) for key, value in target.items()}}
    )
    message: dict[str, Any] = await communicator.receive_json_from(timeout=WAIT)
    return message


async def subscribed(communicator: WebsocketCommunicator, **target: Any) -> None:
    key, value = next(iter(target.items()))
    assert await subscribe(communicator, **target) == {"type": "subscribed", key: str(value)}


def record(admission: Admission, by: Any, at: datetime | None = None) -> Observation:
    return services.observation_record(
        admission=admission, by=by, values=NEWS2_ZERO, recorded_at=at
    )


# Authentication ------------------------------------------------------------------------


async def test_anonymous_connection_is_closed_with_4401():
    communicator = WebsocketCommunicator(application, "/ws/", headers=BROWSER)

    # Accepted, then closed: a close before the handshake reaches a browser as a bare 403.
    assert await communicator.connect(timeout=WAIT) == (True, None)
    assert await communicator.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def test_unknown_token_is_closed_with_4401_after_the_bearer_handshake():
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=BROWSER, subprotocols=["bearer", "cbt_not-a-token"]
    )

    assert await communicator.connect(timeout=WAIT) == (True, "bearer")
    assert await communicator.receive_output(timeout=WAIT) == {
        "type": "websocket.close",
        "code": 4401,
    }


async def test_anonymous_messages_get_no_answer():
    communicator = WebsocketCommunicator(application, "/ws/", headers=BROWSER)
    await communicator.connect(timeout=WAIT)
    await communicator.receive_output(timeout=WAIT)  # the close

    await communicator.send_json_to({"action": "ping"})

    assert await communicator.receive_nothing() is True


async def test_bearer_token_connection_is_accepted(nurse):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await communicator.send_json_to({"action": "ping"})
        assert await communicator.receive_json_from(timeout=WAIT) == {"type": "pong"}


async def test_session_cookie_connection_is_accepted(nurse, ward):
    client = Client()
    await database_sync_to_async(client.force_login)(nurse)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    async with connected(headers=[*BROWSER, (b"cookie", cookie.encode())]) as communicator:
        await subscribed(communicator, ward=ward.pk)


async def test_session_from_a_foreign_origin_is_refused(nurse):
    client = Client()
    await database_sync_to_async(client.force_login)(nurse)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    communicator = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie.encode())],
    )

    accepted, _code = await communicator.connect(timeout=WAIT)

    assert accepted is False


# Subscriptions -------------------------------------------------------------------------


async def test_subscribes_to_a_ward_and_the_organisation_of_ones_own(nurse, ward, organization):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)
        await subscribed(communicator, organization=organization.pk)


@pytest.mark.parametrize("target", ["other_ward", "random_uuid", "not_a_uuid"])
async def test_another_organisations_ward_or_an_unknown_id_is_not_found(target, nurse, other_ward):
    ward_id = {
        "other_ward": str(other_ward.pk),
        "random_uuid": str(uuid.uuid4()),
        "not_a_uuid": "ward-a",
    }[target]
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        assert await subscribe(communicator, ward=ward_id) == {
            "type": "error",
            "ward": ward_id,
            "detail": "Not found.",
        }


async def test_another_organisation_is_not_found(nurse, other_organization):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        assert await subscribe(communicator, organization=other_organization.pk) == {
            "type": "error",
            "organization": str(other_organization.pk),
            "detail": "Not found.",
        }


async def test_a_user_removed_from_the_organisation_cannot_subscribe_any_more(
    nurse, ward, organization
):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)
        await database_sync_to_async(
            Membership.objects.filter(user=nurse, organization=organization).delete
        )()

        assert await subscribe(communicator, organization=organization.pk) == {
            "type": "error",
            "organization": str(organization.pk),
            "detail": "Not found.",
        }


async def test_removing_a_member_ends_their_open_subscriptions(
    admission, nurse, colleague, ward, organization
):
    secret = await database_sync_to_async(token_for)(nurse)
    membership = await database_sync_to_async(Membership.objects.get)(
        user=nurse, organization=organization
    )

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)
        await subscribed(communicator, organization=organization.pk)

        await database_sync_to_async(org_services.membership_remove)(membership=membership)

        ended = [await communicator.receive_json_from(timeout=WAIT) for _ in range(2)]
        assert sorted(ended, key=lambda e: list(e)) == sorted(
            [
                {"type": "unsubscribed", "ward": str(ward.pk), "reason": "access"},
                {"type": "unsubscribed", "organization": str(organization.pk), "reason": "access"},
            ],
            key=lambda e: list(e),
        )
        # The ward's events no longer reach the removed member.
        await database_sync_to_async(record)(admission, colleague)
        assert await communicator.receive_nothing(timeout=0.5) is True


async def test_a_role_change_keeps_the_subscriptions_the_role_still_allows(
    nurse, ward, organization
):
    secret = await database_sync_to_async(token_for)(nurse)
    membership = await database_sync_to_async(Membership.objects.get)(
        user=nurse, organization=organization
    )

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)

        await database_sync_to_async(org_services.membership_set_role)(
            membership=membership, role="physician"
        )

        assert await communicator.receive_nothing(timeout=0.5) is True
        await communicator.send_json_to({"action": "ping"})
        assert await communicator.receive_json_from(timeout=WAIT) == {"type": "pong"}


async def test_revoking_the_token_closes_its_connection_with_4401(nurse, ward):
    token, secret = await database_sync_to_async(api_token_create)(user=nurse, name="ws")

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)

        await database_sync_to_async(api_token_revoke)(token=token)

        assert await communicator.receive_output(timeout=WAIT) == {
            "type": "websocket.close",
            "code": 4401,
        }


async def test_revoking_another_token_of_the_user_keeps_this_connection(nurse, ward):
    secret = await database_sync_to_async(token_for)(nurse)
    other, _ = await database_sync_to_async(api_token_create)(user=nurse, name="other")

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)

        await database_sync_to_async(api_token_revoke)(token=other)

        assert await communicator.receive_nothing(timeout=0.5) is True


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        ("[1, 2]", "Send a JSON object."),
        ("{not json", "Send a JSON object."),
        ('{"action": "shout"}', "Unknown action."),
        ('{"action": "subscribe"}', "Name a ward or organization."),
    ],
)
async def test_malformed_messages_get_an_error(message, detail, nurse):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await communicator.send_to(text_data=message)
        assert await communicator.receive_json_from(timeout=WAIT) == {
            "type": "error",
            "detail": detail,
        }
        await communicator.send_to(bytes_data=b"\x00\x01")
        assert await communicator.receive_json_from(timeout=WAIT) == {
            "type": "error",
            "detail": "Send a JSON object.",
        }


# Events --------------------------------------------------------------------------------


async def test_observation_reaches_the_ward_and_organisation_subscribers_only(
    admission, nurse, physician, outsider, ward, other_ward, organization
):
    nurse_secret = await database_sync_to_async(token_for)(nurse)
    physician_secret = await database_sync_to_async(token_for)(physician)
    outsider_secret = await database_sync_to_async(token_for)(outsider)

    async with (
        connected(nurse_secret) as on_ward,
        connected(physician_secret) as on_organization,
        connected(outsider_secret) as elsewhere,
    ):
        await subscribed(on_ward, ward=ward.pk)
        await subscribed(on_organization, organization=organization.pk)
        await subscribed(elsewhere, ward=other_ward.pk)
        # Refused, so it must not receive this ward's events either.
        assert (await subscribe(elsewhere, ward=ward.pk))["type"] == "error"

        observation = await database_sync_to_async(record)(admission, nurse)

        for communicator in (on_ward, on_organization):
            event = await communicator.receive_json_from(timeout=WAIT)
            assert event["type"] == "observation.recorded"
            assert event["ward"] == str(ward.pk)
            assert event["admission"] == str(admission.pk)
            assert event["moved_from_ward"] is None
            row = event["row"]
            assert row["admission_id"] == str(admission.pk)
            assert row["patient"]["family_name"] == "Lovelace"
            assert row["latest"]["id"] == str(observation.pk)
            assert row["latest"]["news2_total"] == 0
            assert row["latest"]["news2_band"] == "low"
            assert (
                row["next_due_at"] == (observation.recorded_at + timedelta(minutes=720)).isoformat()
            )
            assert row["overdue_minutes"] == 0
        assert await elsewhere.receive_nothing(timeout=0.3) is True
        assert await on_ward.receive_nothing() is True


async def test_an_idle_subscriber_still_receives_events_after_the_redis_socket_timeout(
    admission, nurse, ward
):
    # A subscriber waits on a blocking Redis pop (BZPOPMIN, 5 s); a socket timeout no longer
    # than that (redis-py 8's default is 5 s) tears every quiet connection down.
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        pytest.skip("only the Redis channel layer has a socket to time out")
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)
        await asyncio.sleep(layer.brpop_timeout + 1)

        await database_sync_to_async(record)(admission, nurse)

        event = await communicator.receive_json_from(timeout=WAIT)
        assert event["type"] == "observation.recorded"


async def test_unsubscribed_clients_receive_no_more_events(admission, nurse, ward):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)
        await communicator.send_json_to({"action": "unsubscribe", "ward": str(ward.pk)})
        assert await communicator.receive_json_from(timeout=WAIT) == {
            "type": "unsubscribed",
            "ward": str(ward.pk),
        }

        await database_sync_to_async(record)(admission, nurse)

        assert await communicator.receive_nothing(timeout=0.3) is True


class RollbackError(Exception):
    pass


def record_then_roll_back(admission: Admission, by: Any) -> None:
    with contextlib.suppress(RollbackError), transaction.atomic():
        record(admission, by)
        raise RollbackError


async def test_a_rolled_back_write_publishes_nothing(admission, nurse, ward, organization):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)
        await subscribed(communicator, organization=organization.pk)

        await database_sync_to_async(record_then_roll_back)(admission, nurse)

        assert await communicator.receive_nothing(timeout=0.3) is True
        assert await database_sync_to_async(Observation.objects.count)() == 0


async def test_overdue_alert_is_sent_once_per_overdue_period(admission, nurse, ward):
    secret = await database_sync_to_async(token_for)(nurse)
    sweep = database_sync_to_async(sweep_overdue)

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)

        assert await sweep() == 1
        assert await sweep() == 0
        event = await communicator.receive_json_from(timeout=WAIT)
        assert event["type"] == "alert.overdue"
        assert event["admission"] == str(admission.pk)
        assert event["row"]["never_observed"] is True
        assert event["row"]["overdue_minutes"] >= 119
        assert await communicator.receive_nothing(timeout=0.3) is True

        # A new observation opens the next period; it is overdue 12 hours later.
        observation = await database_sync_to_async(record)(admission, nurse)
        assert (await communicator.receive_json_from(timeout=WAIT))["type"] == (
            "observation.recorded"
        )
        later = observation.recorded_at + timedelta(hours=12, minutes=1)
        assert await sweep(now=observation.recorded_at) == 0
        assert await sweep(now=later) == 1
        assert await sweep(now=later + timedelta(hours=1)) == 0
        event = await communicator.receive_json_from(timeout=WAIT)
        assert event["type"] == "alert.overdue"
        assert event["row"]["latest"]["id"] == str(observation.pk)
        assert await communicator.receive_nothing(timeout=0.3) is True


async def test_transfer_reaches_the_old_and_the_new_ward(
    admission, nurse, colleague, outsider, ward, other_ward, organization
):
    new_ward = await database_sync_to_async(WardFactory)(organization=organization, name="Ward B")
    secrets = [await database_sync_to_async(token_for)(u) for u in (nurse, colleague, outsider)]

    async with (
        connected(secrets[0]) as on_old,
        connected(secrets[1]) as on_new,
        connected(secrets[2]) as elsewhere,
    ):
        await subscribed(on_old, ward=ward.pk)
        await subscribed(on_new, ward=new_ward.pk)
        await subscribed(elsewhere, ward=other_ward.pk)

        await database_sync_to_async(services.admission_transfer)(
            admission=admission, by=nurse, ward=new_ward, bed="4"
        )

        for communicator in (on_old, on_new):
            event = await communicator.receive_json_from(timeout=WAIT)
            assert event["type"] == "admission.changed"
            assert event["ward"] == str(new_ward.pk)
            assert event["moved_from_ward"] == str(ward.pk)
            assert event["row"]["ward_id"] == str(new_ward.pk)
            assert event["row"]["ward_name"] == "Ward B"
            assert event["row"]["bed"] == "4"
            assert await communicator.receive_nothing() is True
        assert await elsewhere.receive_nothing(timeout=0.3) is True


async def test_discharge_publishes_a_null_row(admission, nurse, ward, organization):
    secret = await database_sync_to_async(token_for)(nurse)

    async with connected(secret) as communicator:
        await subscribed(communicator, ward=ward.pk)

        await database_sync_to_async(services.admission_discharge)(
            admission=admission, by=nurse, outcome=Outcome.HOME
        )

        event = await communicator.receive_json_from(timeout=WAIT)
        assert event == {
            "type": "admission.changed",
            "at": event["at"],
            "ward": str(ward.pk),
            "admission": str(admission.pk),
            "row": None,
            "moved_from_ward": None,
        }
        # A discharged admission is no longer overdue.
        assert await database_sync_to_async(sweep_overdue)() == 0
        assert await communicator.receive_nothing(timeout=0.3) is True
