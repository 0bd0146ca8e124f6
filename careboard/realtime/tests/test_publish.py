"""`careboard.realtime.publish`: events leave only after commit, to each group once, and a
broken channel layer never fails the write that published."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from careboard.realtime import publish

EVENT = {"type": "observation.recorded", "admission": "a-1"}
MESSAGE = {"type": "careboard.event", "event": EVENT}


class FakeLayer:
    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if group in self.failing:
            raise ConnectionError("redis went away")
        self.sent.append((group, message))


@pytest.fixture
def layer(monkeypatch: pytest.MonkeyPatch) -> FakeLayer:
    fake = FakeLayer()
    monkeypatch.setattr(publish, "get_channel_layer", lambda: fake)
    return fake


def test_group_names():
    ward_id = uuid.UUID("11111111-2222-3333-4444-555555555555")

    assert publish.ward_group(ward_id) == "ward.11111111-2222-3333-4444-555555555555"
    assert publish.organization_group("abc") == "org.abc"


def test_send_now_sends_to_each_group_once_in_order(layer):
    publish.send_now(["ward.1", "org.9", "ward.1", "ward.2"], EVENT)

    assert layer.sent == [("ward.1", MESSAGE), ("org.9", MESSAGE), ("ward.2", MESSAGE)]


def test_a_failing_group_is_logged_and_the_others_still_get_the_event(monkeypatch, caplog):
    fake = FakeLayer(failing=frozenset({"ward.1"}))
    monkeypatch.setattr(publish, "get_channel_layer", lambda: fake)

    publish.send_now(["ward.1", "org.9"], EVENT)

    assert fake.sent == [("org.9", MESSAGE)]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "could not publish observation.recorded to ward.1"
    ]


def test_without_a_channel_layer_nothing_is_sent(monkeypatch):
    monkeypatch.setattr(publish, "get_channel_layer", lambda: None)

    publish.send_now(["ward.1"], EVENT)


@pytest.mark.asyncio
async def test_called_from_async_code_it_logs_instead_of_raising(layer, caplog):
    # async_to_sync refuses to run inside an event loop's thread; the clinical write that
    # published must not fail because of it.
    publish.send_now(["ward.1"], EVENT)

    assert layer.sent == []
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "could not publish observation.recorded"
    ]


@pytest.mark.django_db
def test_publish_after_commit_builds_and_sends_only_after_commit(
    layer, django_capture_on_commit_callbacks
):
    built: list[str] = []

    def build() -> tuple[list[str], dict[str, Any]]:
        built.append("built")
        return ["ward.1", "org.9"], EVENT

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            publish.publish_after_commit(build)
            assert built == []
        assert layer.sent == []

    assert built == ["built"]
    assert layer.sent == [("ward.1", MESSAGE), ("org.9", MESSAGE)]


@pytest.mark.django_db
def test_a_rolled_back_transaction_publishes_nothing(layer, django_capture_on_commit_callbacks):
    built: list[str] = []

    def build() -> tuple[list[str], dict[str, Any]]:
        built.append("built")
        return ["ward.1"], EVENT

    class RollbackError(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                publish.publish_after_commit(build)
                raise RollbackError
        except RollbackError:
            pass

    assert callbacks == []
    assert built == []
    assert layer.sent == []


@pytest.mark.django_db
def test_a_build_that_returns_none_sends_nothing(layer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish.publish_after_commit(lambda: None)

    assert len(callbacks) == 1
    assert layer.sent == []


@pytest.mark.django_db
def test_access_changed_reaches_the_users_group_only_after_commit(
    layer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            publish.access_changed_after_commit(7)
        assert layer.sent == []

    # The consumer's own message type, not an event forwarded to the client.
    assert layer.sent == [("user.7", {"type": "careboard.access_changed"})]


@pytest.mark.django_db
def test_a_rolled_back_access_change_notifies_nobody(layer, django_capture_on_commit_callbacks):
    class RollbackError(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                publish.access_changed_after_commit(7)
                raise RollbackError
        except RollbackError:
            pass

    assert callbacks == []
    assert layer.sent == []


@pytest.mark.django_db
def test_a_lost_access_change_is_logged_not_raised(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    fake = FakeLayer(failing=frozenset({"user.7"}))
    monkeypatch.setattr(publish, "get_channel_layer", lambda: fake)

    with django_capture_on_commit_callbacks(execute=True):
        publish.access_changed_after_commit(7)

    assert fake.sent == []
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "user 7" in errors[0]


@pytest.mark.django_db
def test_an_access_change_without_a_channel_layer_is_dropped(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(publish, "get_channel_layer", lambda: None)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish.access_changed_after_commit(7)

    assert len(callbacks) == 1


# Through the configured channel layer (in memory, or Redis when REDIS_URL is set) ---------


@pytest_asyncio.fixture
async def channel_layer() -> AsyncIterator[Any]:
    layer = get_channel_layer()
    await layer.flush()
    yield layer
    await layer.flush()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_committed_write_reaches_the_channel_layers_groups(channel_layer):
    ward, organization = f"ward.{uuid.uuid4()}", f"org.{uuid.uuid4()}"
    on_ward = await channel_layer.new_channel()
    on_both = await channel_layer.new_channel()
    await channel_layer.group_add(ward, on_ward)
    await channel_layer.group_add(ward, on_both)
    await channel_layer.group_add(organization, on_both)

    def write() -> None:
        with transaction.atomic():
            publish.publish_after_commit(lambda: ([ward, organization, ward], EVENT))

    await database_sync_to_async(write)()

    assert await asyncio.wait_for(channel_layer.receive(on_ward), 3) == MESSAGE
    # One message per group it is in; the repeated ward group is sent to once.
    assert await asyncio.wait_for(channel_layer.receive(on_both), 3) == MESSAGE
    assert await asyncio.wait_for(channel_layer.receive(on_both), 3) == MESSAGE
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(channel_layer.receive(on_ward), 0.3)
