"""Background jobs: the Celery tasks call the same functions as the server's in-process
housekeeping; BACKGROUND_JOBS decides which of the two runs them; beat's schedule comes
from the same interval settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

import config.lifespan
from careboard.core import tasks as core_tasks
from careboard.core.models import IdempotentRequest
from careboard.patients import services as patient_services
from careboard.patients import tasks as patient_tasks
from careboard.patients.models import Admission
from careboard.patients.tests.factories import PatientFactory, admit
from careboard.privacy import tasks as privacy_tasks
from careboard.privacy.models import ErasureRecord
from config.celery_app import app
from config.lifespan import InProcessSchedule, OverdueSweepLifespan, inprocess_schedule

ROOT = Path(__file__).resolve().parents[3]


def settings_in_subprocess(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Evaluate ``expression`` on freshly loaded test settings, with ``env`` set (and no
    REDIS_URL unless given)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "BACKGROUND_JOBS"}}
    code = f"import django, json; django.setup(); from django.conf import settings; {expression}"
    return subprocess.run(  # noqa: S603  (our own interpreter)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# Choosing in-process or Celery -------------------------------------------------------------


def test_by_default_the_server_runs_the_housekeeping_itself(settings):
    settings.BACKGROUND_JOBS = "inprocess"
    settings.OVERDUE_SWEEP_SECONDS = 60.0
    settings.RETENTION_SWEEP_SECONDS = 86400.0

    assert inprocess_schedule() == InProcessSchedule(sweep=60.0, retention=86400.0)


def test_with_celery_the_server_runs_none_of_it(settings):
    settings.BACKGROUND_JOBS = "celery"

    assert inprocess_schedule() is None


def test_without_a_sweep_the_loop_still_wakes_for_retention(settings):
    settings.BACKGROUND_JOBS = "inprocess"
    settings.OVERDUE_SWEEP_SECONDS = 0
    settings.RETENTION_SWEEP_SECONDS = 3600.0

    schedule = inprocess_schedule()
    assert schedule is not None
    assert schedule.tick == 3600.0


def test_the_setting_defaults_to_inprocess_and_refuses_anything_else():
    default = settings_in_subprocess("print(settings.BACKGROUND_JOBS)")
    assert (default.returncode, default.stdout) == (0, "inprocess\n"), default.stderr

    bogus = settings_in_subprocess("print(1)", BACKGROUND_JOBS="cron")
    assert bogus.returncode != 0
    assert "BACKGROUND_JOBS must be inprocess or celery, not 'cron'" in bogus.stderr


def test_celery_needs_redis():
    result = settings_in_subprocess("print(1)", BACKGROUND_JOBS="celery")
    assert result.returncode != 0
    assert "BACKGROUND_JOBS=celery needs REDIS_URL" in result.stderr


async def run_lifespan(seconds: float) -> None:
    lifespan = ApplicationCommunicator(OverdueSweepLifespan(), {"type": "lifespan"})
    await lifespan.send_input({"type": "lifespan.startup"})
    assert (await lifespan.receive_output(2))["type"] == "lifespan.startup.complete"
    await asyncio.sleep(seconds)
    await lifespan.send_input({"type": "lifespan.shutdown"})
    assert (await lifespan.receive_output(2))["type"] == "lifespan.shutdown.complete"


@pytest.mark.asyncio
@pytest.mark.parametrize("jobs", ["inprocess", "celery"])
async def test_the_lifespan_loop_runs_only_when_celery_does_not(settings, monkeypatch, jobs):
    settings.BACKGROUND_JOBS = jobs
    settings.OVERDUE_SWEEP_SECONDS = 0.1
    settings.RETENTION_SWEEP_SECONDS = 86400.0
    ran: list[str] = []

    def housekeeping() -> int:
        ran.append("sweep")
        return 0

    monkeypatch.setattr(config.lifespan, "_housekeeping", housekeeping)
    monkeypatch.setattr(config.lifespan, "_retention", lambda: ran.append("retention"))

    await run_lifespan(0.45)

    if jobs == "celery":
        assert ran == []
    else:
        # Sweeps every tick; retention at the first tick after start, then not for a day.
        assert ran.count("sweep") >= 2
        assert ran.count("retention") == 1


# The beat schedule and the Celery configuration ----------------------------------------------


def test_beat_schedules_the_three_periodic_tasks_at_the_configured_intervals():
    schedule = django_settings.CELERY_BEAT_SCHEDULE

    assert {name: (entry["task"], entry["schedule"]) for name, entry in schedule.items()} == {
        "overdue-sweep": (
            "careboard.patients.tasks.sweep_overdue",
            django_settings.OVERDUE_SWEEP_SECONDS,
        ),
        "idempotency-key-expiry": (
            "careboard.core.tasks.forget_expired_idempotency_keys",
            3600.0,
        ),
        "retention": (
            "careboard.privacy.tasks.apply_retention",
            django_settings.RETENTION_SWEEP_SECONDS,
        ),
    }
    assert schedule["overdue-sweep"]["options"] == {
        "expires": django_settings.OVERDUE_SWEEP_SECONDS
    }
    app.loader.import_default_modules()
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)


def test_the_intervals_come_from_the_environment_and_zero_leaves_a_task_out():
    result = settings_in_subprocess(
        "print(json.dumps({k: v['schedule'] for k, v in settings.CELERY_BEAT_SCHEDULE.items()}))",
        OVERDUE_SWEEP_SECONDS="30",
        RETENTION_SWEEP_SECONDS="0",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"overdue-sweep": 30.0, "idempotency-key-expiry": 3600.0}


def test_celery_takes_json_only_keeps_no_results_and_bounds_every_task():
    app.loader.import_default_modules()
    conf = app.conf
    assert (conf.accept_content, conf.task_serializer) == (["json"], "json")
    assert conf.task_ignore_result is True
    assert conf.task_acks_late is True
    ours = [task for name, task in app.tasks.items() if name.startswith("careboard.")]
    assert len(ours) == 4
    for task in ours:
        assert 0 < task.soft_time_limit < task.time_limit < 3600, task.name


# The tasks: the same functions as the in-process housekeeping --------------------------------


@pytest.mark.django_db
def test_the_sweep_task_alerts_an_overdue_admission_once(ward, nurse):
    admission = admit(ward=ward, by=nurse, hours_ago=2)

    assert patient_tasks.sweep_overdue.apply().get() == 1
    assert patient_tasks.sweep_overdue.apply().get() == 0

    admission.refresh_from_db()
    assert admission.overdue_alerted_for == admission.next_due_at


@pytest.mark.django_db
def test_the_idempotency_task_forgets_keys_older_than_a_day():
    for key in ("old-key-1", "new-key-1"):
        IdempotentRequest.objects.create(
            scope="user:1", key=key, method="POST", path="/api/v1/wards/", body_hash="0" * 64
        )
    IdempotentRequest.objects.filter(key="old-key-1").update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )

    assert core_tasks.forget_expired_idempotency_keys.apply().get() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new-key-1"]


@pytest.fixture
def due_patient(organization, ward, nurse):
    """Discharged eleven years ago: past the default ten years of retention."""
    patient = PatientFactory.create(organization=organization)
    admitted_at = timezone.now() - dt.timedelta(days=365 * 11)
    admission = patient_services.admission_admit(
        patient=patient, ward=ward, by=nurse, admitted_at=admitted_at
    )
    patient_services.admission_discharge(
        admission=admission, by=nurse, outcome="home", at=admitted_at + dt.timedelta(days=3)
    )
    return patient


@pytest.mark.django_db
def test_the_retention_task_erases_who_is_due(due_patient):
    assert privacy_tasks.apply_retention.apply().get() == [str(due_patient.pk)]
    assert ErasureRecord.objects.get().patient_id == due_patient.pk
    assert privacy_tasks.apply_retention.apply().get() == []


@pytest.mark.django_db
def test_retention_does_nothing_while_another_run_holds_the_lock(due_patient):
    cache.add(privacy_tasks._RETENTION_LOCK, True)

    assert privacy_tasks.apply_retention.apply().get() == []
    assert not ErasureRecord.objects.exists()


@pytest.mark.django_db
def test_retention_refuses_less_than_a_year(due_patient, settings):
    settings.RETENTION_YEARS_AFTER_DISCHARGE = 0

    assert privacy_tasks.apply_retention.apply().get() == []
    assert not ErasureRecord.objects.exists()
    assert Admission.objects.filter(patient=due_patient).exists()
