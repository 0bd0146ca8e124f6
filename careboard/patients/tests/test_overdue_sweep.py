"""The overdue sweep (`careboard.patients.overdue`) and `manage.py sweep_overdue`."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from careboard.patients import services
from careboard.patients.management.commands import sweep_overdue as command_module
from careboard.patients.models import Admission, Outcome
from careboard.patients.overdue import sweep_overdue
from careboard.realtime import publish

pytestmark = pytest.mark.django_db

# NEWS2 0 with all seven parameters: the next set is due in 12 hours (720 minutes).
NEWS2_ZERO = {
    "respiratory_rate": 16,
    "spo2": 97,
    "on_oxygen": False,
    "systolic_bp": 125,
    "heart_rate": 72,
    "consciousness": "A",
    "temperature": Decimal("36.8"),
}


def admit(ward: Any, by: Any, mrn: str, *, hours_ago: float = 2) -> Admission:
    patient = services.patient_create(
        organization=ward.organization,
        mrn=mrn,
        given_name="Ada",
        family_name=f"Patient {mrn}",
        birth_date=date(1960, 5, 1),
        sex="female",
    )
    return services.admission_admit(
        patient=patient,
        ward=ward,
        by=by,
        admitted_at=timezone.now() - timedelta(hours=hours_ago),
    )


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, Any]]]:
    """What the services publish, instead of sending it to the channel layer."""
    sent: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(
        publish, "send_now", lambda groups, event: sent.append((list(groups), event))
    )
    return sent


@pytest.fixture
def admission(ward, nurse) -> Admission:
    """Admitted two hours ago and never observed: the first set was due on admission."""
    return admit(ward, nurse, "M-1")


def sweep(capture: Any, published: list[Any], now: datetime | None = None) -> int:
    published.clear()
    with capture(execute=True):
        return sweep_overdue(now=now)


def test_alerts_an_overdue_admission_once(admission, published, django_capture_on_commit_callbacks):
    assert sweep(django_capture_on_commit_callbacks, published) == 1

    admission.refresh_from_db()
    assert admission.overdue_alerted_for == admission.next_due_at == admission.admitted_at
    [(groups, event)] = published
    assert groups == [f"ward.{admission.ward_id}", f"org.{admission.ward.organization_id}"]
    assert event["type"] == "alert.overdue"
    assert event["admission"] == str(admission.pk)
    assert event["ward"] == str(admission.ward_id)
    assert event["row"]["admission_id"] == str(admission.pk)
    assert event["row"]["never_observed"] is True
    assert 119 <= event["row"]["overdue_minutes"] <= 120

    assert sweep(django_capture_on_commit_callbacks, published) == 0
    assert published == []


def test_a_new_observation_opens_the_next_overdue_period(
    admission, nurse, published, django_capture_on_commit_callbacks
):
    sweep(django_capture_on_commit_callbacks, published)
    observation = services.observation_record(admission=admission, by=nurse, values=NEWS2_ZERO)
    admission.refresh_from_db()
    assert admission.overdue_alerted_for is None
    due = observation.recorded_at + timedelta(minutes=720)
    assert admission.next_due_at == due

    # Not overdue until the due time has passed, and then once.
    assert sweep(django_capture_on_commit_callbacks, published, now=due) == 0
    assert sweep(django_capture_on_commit_callbacks, published, now=due + timedelta(minutes=1)) == 1
    assert [event["type"] for _groups, event in published] == ["alert.overdue"]
    assert sweep(django_capture_on_commit_callbacks, published, now=due + timedelta(hours=5)) == 0
    admission.refresh_from_db()
    assert admission.overdue_alerted_for == due


def test_admissions_not_yet_due_or_discharged_are_not_alerted(
    ward, nurse, published, django_capture_on_commit_callbacks
):
    observed = admit(ward, nurse, "M-1")
    services.observation_record(admission=observed, by=nurse, values=NEWS2_ZERO)
    discharged = admit(ward, nurse, "M-2")
    services.admission_discharge(admission=discharged, by=nurse, outcome=Outcome.HOME)

    assert sweep(django_capture_on_commit_callbacks, published) == 0
    assert published == []
    assert set(Admission.objects.values_list("overdue_alerted_for", flat=True)) == {None}


def test_alerts_every_overdue_admission_with_a_flat_number_of_queries(
    ward, other_ward, nurse, outsider, published, django_assert_num_queries
):
    first = admit(ward, nurse, "M-1")
    with django_assert_num_queries(4):  # savepoint, SELECT … FOR UPDATE, UPDATE, release
        assert sweep_overdue() == 1
    for n in range(2, 7):
        admit(ward, nurse, f"M-{n}")
    for n in range(7, 10):
        admit(other_ward, outsider, f"M-{n}")

    with django_assert_num_queries(4):
        assert sweep_overdue() == 8

    alerted = Admission.objects.exclude(pk=first.pk)
    assert all(a.overdue_alerted_for == a.next_due_at for a in alerted)


def test_a_rolled_back_sweep_alerts_nothing_and_is_repeated(
    admission, published, django_capture_on_commit_callbacks
):
    class RollbackError(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                assert sweep_overdue() == 1
                raise RollbackError
        except RollbackError:
            pass
    assert callbacks == []
    assert published == []
    admission.refresh_from_db()
    assert admission.overdue_alerted_for is None

    assert sweep(django_capture_on_commit_callbacks, published) == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_skips_the_rows_the_first_one_holds(admission, published):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("SQLite serialises whole transactions instead of locking rows")
    results: list[int] = []

    def other_worker() -> None:
        try:
            results.append(sweep_overdue())
        finally:
            connection.close()

    with transaction.atomic():
        # This transaction plays the first worker, in the middle of alerting this row.
        Admission.objects.select_for_update().get(pk=admission.pk)
        worker = threading.Thread(target=other_worker)
        worker.start()
        worker.join(timeout=10)
    assert results == [0]
    assert published == []

    assert sweep_overdue() == 1
    assert [event["type"] for _groups, event in published] == ["alert.overdue"]


# The command ---------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sweep_overdue", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_prints_how_many_it_alerted(admission, published):
    assert run()[0] == "1\n"
    assert run()[0] == "0\n"
    admission.refresh_from_db()
    assert admission.overdue_alerted_for == admission.admitted_at


def test_command_warns_that_the_in_memory_layer_reaches_no_server(admission, published, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    assert run() == (
        "1\n",
        "The channel layer is in-memory: alerts from this process reach no websocket "
        "client. Set REDIS_URL to deliver them.\n",
    )


def test_command_does_not_warn_with_a_shared_layer(admission, published, monkeypatch):
    monkeypatch.setattr(command_module, "get_channel_layer", lambda: object())

    assert run() == ("1\n", "")


def test_loop_sweeps_until_interrupted_and_survives_a_failing_sweep(monkeypatch, published, caplog):
    outcomes: list[Any] = [RuntimeError("database restarting"), 3, 0]
    pauses: list[float] = []

    def fake_sweep() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        swept: int = outcome
        return swept

    def fake_sleep(seconds: float) -> None:
        pauses.append(seconds)
        if not outcomes:
            raise KeyboardInterrupt

    monkeypatch.setattr(command_module, "sweep_overdue", fake_sweep)
    monkeypatch.setattr(f"{command_module.__name__}.time.sleep", fake_sleep)

    out, _err = run("--loop", "30")

    assert out == "3\n0\n"
    assert pauses == [30.0, 30.0, 30.0]
    assert [r.getMessage() for r in caplog.records if r.name == command_module.__name__] == [
        "overdue sweep failed"
    ]


@pytest.mark.parametrize("seconds", ["0", "-5"])
def test_loop_needs_a_positive_interval(seconds, admission, published):
    with pytest.raises(CommandError, match="--loop needs a positive number of seconds."):
        run("--loop", seconds)
    admission.refresh_from_db()
    assert admission.overdue_alerted_for is None
