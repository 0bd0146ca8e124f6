"""A real Celery worker (``celery -A config.celery_app worker --pool solo``) on this machine's
Redis runs the overdue sweep sent to it, and its effect is in the database.

The worker and the test share a file-based SQLite database made here (pytest's own test
database may be in memory, where another process cannot see it), and a queue of their own
(so no other worker on the same Redis takes the task). Skipped when Redis is unreachable.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery

from careboard.core.tests.processes import ROOT, django_command, wait_for

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"

SEED = """
from datetime import timedelta
from django.utils import timezone
from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory, WardFactory
from careboard.patients import services
from careboard.patients.tests.factories import PatientFactory

ward = WardFactory.create()
nurse = MembershipFactory.create(organization=ward.organization, role=Role.NURSE).user
admission = services.admission_admit(
    patient=PatientFactory.create(organization=ward.organization),
    ward=ward,
    by=nurse,
    admitted_at=timezone.now() - timedelta(hours=1),
)
print(admission.pk.hex)
"""


def redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not redis_reachable(REDIS_URL), reason=f"no Redis at {REDIS_URL} for a Celery worker"
)


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"careboard-test-{uuid.uuid4().hex[:12]}"
    yield name
    # The queue's list and kombu's binding set; nothing else of ours stays in Redis.
    redis.Redis.from_url(REDIS_URL).delete(name, f"_kombu.binding.{name}")


@pytest.fixture
def worker_env(tmp_path: Path, queue: str) -> dict[str, str]:
    prefix = f"careboard-test-{queue}"
    return {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BACKGROUND_JOBS"}},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'careboard.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "BACKGROUND_JOBS": "celery",
        "CACHE_KEY_PREFIX": prefix,
        "CHANNEL_PREFIX": prefix,
    }


@pytest.fixture
def worker(worker_env: dict[str, str], queue: str, tmp_path: Path) -> Iterator[Path]:
    """The worker process, ready; its log file."""
    django_command(worker_env, "migrate", "--noinput", "--verbosity", "0")
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter)
            [
                sys.executable,
                *("-m", "celery", "-A", "config.celery_app", "worker"),
                *("--pool", "solo", "--queues", queue, "--loglevel", "INFO"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("--hostname", f"{queue}@%h"),
            ],
            cwd=ROOT,
            env=worker_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited:\n{log.read_text()[-3000:]}")
            return " ready." in log.read_text(errors="replace")

        wait_for(ready, timeout=60, interval=0.2, what="the Celery worker")
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_a_worker_runs_the_overdue_sweep_sent_to_it(worker, worker_env, queue, tmp_path):
    # The last line: `shell` prints what it imported first.
    admission_id = django_command(worker_env, "shell", "-c", SEED).strip().splitlines()[-1]
    database = tmp_path / "careboard.sqlite3"

    def alerted_for() -> str | None:
        with sqlite3.connect(database) as conn:
            row = conn.execute(
                "SELECT overdue_alerted_for FROM patients_admission WHERE id = ?", [admission_id]
            ).fetchone()
        alerted: str | None = row[0]
        return alerted

    assert alerted_for() is None
    # A client of the broker only, as beat is: it knows the task by name, nothing more.
    sender = Celery(broker=REDIS_URL)
    sender.conf.task_serializer = "json"
    started = time.monotonic()
    sender.send_task("careboard.patients.tasks.sweep_overdue", queue=queue)

    wait_for(lambda: alerted_for() is not None, timeout=30, interval=0.2, what="the sweep")
    elapsed = time.monotonic() - started
    with sqlite3.connect(database) as conn:
        [(next_due_at,)] = conn.execute(
            "SELECT next_due_at FROM patients_admission WHERE id = ?", [admission_id]
        ).fetchall()
    assert alerted_for() == next_due_at
    wait_for(
        lambda: "succeeded" in worker.read_text(errors="replace"), timeout=10, what="the log line"
    )
    print(f"celery worker: overdue sweep done {elapsed:.2f} s after sending")  # noqa: T201
