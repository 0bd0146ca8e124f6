"""Fault tests against real processes: PostgreSQL stopped under traffic, Redis stopped, the app
killed with SIGKILL in the middle of a burst of writes.

The app runs as production runs it: uvicorn with ``config.settings.production`` (the psycopg
pool, CONN_HEALTH_CHECKS, JSON logs). PostgreSQL and Redis are private instances in temporary
directories on free ports (``processes.py``), because other test runs share this machine's
servers and these tests stop theirs. Skipped when the server binaries are missing.

Each test prints its counts (requests, 503s, recovery time) so the CI log shows them.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import ClientConnection, connect

from careboard.core.tests.processes import (
    AppServer,
    PostgresCluster,
    RedisServer,
    Response,
    django_command,
    http,
    missing_binaries,
)

MISSING = missing_binaries()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"fault tests need {', '.join(MISSING)} on this machine"
)

DATABASE = "careboard_faults"
PROBLEM = "application/problem+json"
SERVICE_UNAVAILABLE = "urn:careboard:problem:service-unavailable"
# RFC 6455 "service restart": the board's websocket tells its client to reconnect.
CLOSE_SERVICE_RESTART = 1012
# Longer than any answer the app should take, even while a dependency is down.
CLIENT_TIMEOUT = 10.0

# Migrations, then one organisation, a nurse with an API token, and one admission per test,
# so the tests' observations never mix. One process: each start of Django costs seconds.
SEED = """
import json
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory, WardFactory
from careboard.patients import services
from careboard.patients.tests.factories import PatientFactory
from careboard.users.services import api_token_create

call_command("migrate", interactive=False, verbosity=0)
ward = WardFactory.create(name="Fault ward")
nurse = MembershipFactory.create(organization=ward.organization, role=Role.NURSE).user
admissions = {}
for name in ("database", "redis", "sigkill"):
    admissions[name] = str(
        services.admission_admit(
            patient=PatientFactory.create(organization=ward.organization),
            ward=ward,
            by=nurse,
            admitted_at=timezone.now() - timedelta(days=1),
        ).pk
    )
token = api_token_create(user=nurse, name="fault tests")[1]
print(json.dumps({"token": token, "ward": str(ward.pk), "admissions": admissions}))
"""


# Processes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_env(postgres: PostgresCluster, redis_server: RedisServer) -> dict[str, str]:
    """Production settings against the private servers."""
    env = {
        name: value
        for name, value in os.environ.items()
        # Nothing of the test run's own configuration leaks into the app.
        if not name.startswith("DJANGO_") and name not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="fault-tests-only-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="False",
        DATABASE_URL=postgres.create_database(DATABASE),
        REDIS_URL=redis_server.url,
        # No overdue sweep: its log lines would mix with the ones these tests read.
        OVERDUE_SWEEP_SECONDS="0",
        # The bursts are the test's own, not abuse to throttle.
        API_THROTTLE_USER="100000/min",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def seed(app_env: dict[str, str]) -> dict[str, Any]:
    """The database migrated and seeded: the ids and token the tests use."""
    output = django_command(app_env, "shell", "--no-imports", "-c", SEED)
    line: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return line


@pytest.fixture(autouse=True)
def _services_up(postgres: PostgresCluster, redis_server: RedisServer) -> None:
    """Each test starts with both servers running, whatever the one before it left."""
    if not postgres.running:
        postgres.start()
    if redis_server.process is None:
        redis_server.start()


@pytest.fixture
def app(app_env: dict[str, str], seed: dict[str, Any]) -> Iterator[AppServer]:
    server = AppServer(env=app_env)
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Print to the CI log even though pytest captures output."""

    def write(line: str) -> None:
        with capsys.disabled():
            print(f"\n    faults: {line}", end="")  # noqa: T201

    return write


# Clients -----------------------------------------------------------------------------


@dataclass
class NurseClient:
    """What a nurse's client does: record observations, read them, follow the ward live."""

    app: AppServer
    token: str
    ward: str
    admission: str

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def _observations(self) -> str:
        return f"{self.app.base_url}/api/v1/admissions/{self.admission}/observations/"

    def record(self, note: str, *, key: str | None = None) -> Response:
        headers = {**self._auth, **({"Idempotency-Key": key} if key else {})}
        body = {"heart_rate": 88, "respiratory_rate": 18, "spo2": 97, "notes": note}
        return http(
            "POST", self._observations, json_body=body, headers=headers, timeout=CLIENT_TIMEOUT
        )

    def observations(self) -> Response:
        return http("GET", self._observations, headers=self._auth, timeout=CLIENT_TIMEOUT)

    def readyz(self) -> Response:
        return http("GET", f"{self.app.base_url}/readyz", timeout=CLIENT_TIMEOUT)

    @contextlib.contextmanager
    def follow_ward(self) -> Iterator[ClientConnection]:
        """A websocket subscribed to the ward (a program's client: bearer subprotocol)."""
        with self.connect() as ws:
            ws.send(json.dumps({"action": "subscribe", "ward": self.ward}))
            answer = json.loads(ws.recv(timeout=5))
            assert answer == {"type": "subscribed", "ward": self.ward}, answer
            yield ws

    def connect(self) -> ClientConnection:
        return connect(
            self.app.ws_url,
            subprotocols=["bearer", self.token],  # type: ignore[list-item]
            proxy=None,
            open_timeout=5,
        )


def client_for(app: AppServer, seed: dict[str, Any], admission: str) -> NurseClient:
    return NurseClient(app, seed["token"], seed["ward"], seed["admissions"][admission])


def stored_notes(postgres: PostgresCluster, prefix: str) -> Counter[str]:
    """How many observations hold each note starting with ``prefix``."""
    rows = postgres.query(
        DATABASE,
        "SELECT notes, count(*) FROM patients_observation WHERE notes LIKE %s GROUP BY notes",
        prefix + "%",
    )
    return Counter(dict(rows))


def close_code(ws: ClientConnection, timeout: float) -> int | None:
    """The code the server closes ``ws`` with (None: still open after ``timeout``)."""
    deadline = time.monotonic() + timeout
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            ws.recv(timeout=remaining)  # events still on their way are skipped
    except TimeoutError:
        return None
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else 1006
    return None


def next_event(ws: ClientConnection, admission: str, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            event: dict[str, Any] = json.loads(ws.recv(timeout=remaining))
            if event.get("type") == "observation.recorded" and event["admission"] == admission:
                return event
    except TimeoutError:
        return None
    return None


def crash_report(app: AppServer) -> str:
    """The app's last logged crash, to say why a request answered 500."""
    crashes = [
        record["message"]
        for record in app.log_records()
        if record.get("logger") == "careboard.request" and record.get("level") == "ERROR"
    ]
    if not crashes:
        return app.output()[-2500:]
    headline, _, stack = crashes[-1].partition("\n")
    return f"{headline}\n...{stack[-2000:]}"


def answer(call: Callable[[], Response]) -> Response | None:
    """The response, or None when there was none within the client's timeout."""
    try:
        return call()
    except OSError:
        return None


def status_of(call: Callable[[], Response]) -> int | None:
    response = answer(call)
    return None if response is None else response.status


def is_problem(response: Response, type_: str) -> bool:
    return (
        response.header("Content-Type") == PROBLEM
        and isinstance(response.body, dict)
        and response.body.get("type") == type_
    )


# (1) PostgreSQL stopped under traffic ------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "GET" or "POST"
    started: float
    status: int | None  # None: no answer
    response: Response | None = None
    note: str = ""
    error: str = ""


@dataclass
class Traffic:
    """A few clients reading and recording observations without pause, in threads."""

    client: NurseClient
    workers: int = 4
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self, worker: int) -> None:
        sent = 0
        while not self._stop.is_set():
            sent += 1
            # Half the workers start with a read, half with a write: both are in flight
            # at any moment, so both meet the outage.
            kind = "POST" if (sent + worker) % 2 else "GET"
            note = f"pg-{worker}-{sent}"
            started = time.monotonic()
            try:
                response = (
                    self.client.record(note, key=fault_key(note))
                    if kind == "POST"
                    else self.client.observations()
                )
                outcome = Outcome(kind, started, response.status, response, note)
            except OSError as exc:
                outcome = Outcome(kind, started, None, None, note, f"{type(exc).__name__}: {exc}")
            with self._lock:
                self.outcomes.append(outcome)

    def __enter__(self) -> Traffic:
        for worker in range(self.workers):
            thread = threading.Thread(target=self._run, args=(worker,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT + 5)

    def seen(self, predicate: Callable[[Outcome], bool]) -> bool:
        with self._lock:
            return any(predicate(outcome) for outcome in self.outcomes)


def fault_key(note: str) -> str:
    """The Idempotency-Key of one traffic write (stable, so a retry repeats it)."""
    return f"fault-{note}-key"


def test_database_outage_answers_503_and_recovers_without_restarting_the_app(
    app: AppServer, seed: dict[str, Any], postgres: PostgresCluster, say: Callable[[str], None]
) -> None:
    client = client_for(app, seed, "database")
    pid = app.process.pid if app.process else None
    readyz_during: list[Response] = []
    with Traffic(client) as traffic:
        time.sleep(1.0)  # traffic flowing before the database goes
        postgres.stop("fast")
        stopped_at = time.monotonic()

        def answered_503(kind: str) -> Callable[[Outcome], bool]:
            return lambda o: o.kind == kind and o.status == 503

        deadline = stopped_at + 15
        while time.monotonic() < deadline:
            if not readyz_during:
                ready = answer(client.readyz)
                if ready is not None and ready.status == 503:
                    readyz_during.append(ready)
            if (
                readyz_during
                and traffic.seen(answered_503("GET"))
                and traffic.seen(answered_503("POST"))
            ):
                break
            time.sleep(0.1)
        down_for = time.monotonic() - stopped_at

        postgres.start()
        started_at = time.monotonic()
        recovered_at = None
        while time.monotonic() < started_at + 20:
            if status_of(client.readyz) == 200 and status_of(client.observations) == 200:
                recovered_at = time.monotonic()
                break
            time.sleep(0.1)
        time.sleep(1.0)  # traffic flowing again after recovery

    outcomes = traffic.outcomes
    statuses = Counter(o.status for o in outcomes)
    unavailable = [o for o in outcomes if o.status == 503]
    say(
        f"database outage: {len(outcomes)} requests ({dict(statuses)}), "
        f"{len(unavailable)} answered 503 within "
        f"{max((o.response.elapsed for o in unavailable if o.response), default=0):.1f} s, "
        f"/readyz {'503' if readyz_during else 'never 503'}, "
        f"database down {down_for:.1f} s, recovered "
        + (f"{recovered_at - started_at:.1f} s after it returned" if recovered_at else "never")
    )

    # Every request was answered, none with a 500: 503 while the database was away.
    no_answer = [o for o in outcomes if o.status is None]
    assert no_answer == [], (
        f"{len(no_answer)} requests got no answer within {CLIENT_TIMEOUT:.0f} s "
        f"({no_answer[0].error}): does a request wait longer than that for a pooled "
        "connection (the pool's `timeout` in config/settings/production.py)?"
    )
    assert set(statuses) <= {200, 201, 503}, crash_report(app)
    assert unavailable, "no request answered 503 while the database was stopped"
    assert {o.kind for o in unavailable} == {"GET", "POST"}
    for outcome in unavailable:
        response = outcome.response
        assert response is not None
        assert is_problem(response, SERVICE_UNAVAILABLE), response.body
        assert response.header("Retry-After") == str(response.body["retry_after"])
        assert int(response.header("Retry-After") or 0) > 0

    # /readyz named the database.
    assert readyz_during, "/readyz never answered 503 while the database was stopped"
    assert is_problem(readyz_during[0], SERVICE_UNAVAILABLE)
    assert readyz_during[0].body["checks"] == {"database": "unavailable", "redis": "ok"}

    # Recovered in the same process, and stayed recovered.
    assert recovered_at is not None, "the API did not recover after the database returned"
    assert recovered_at - started_at < 15
    assert app.process is not None
    assert app.process.pid == pid
    assert app.process.poll() is None
    after = [o for o in outcomes if o.started > recovered_at]
    assert after, "no traffic after recovery"
    assert {o.status for o in after} <= {200, 201}

    # What was acknowledged is stored once. A write answered 503 has an unknown outcome: the
    # connection may have died after PostgreSQL committed but before it said so. The client
    # retries it with the same Idempotency-Key, as Retry-After asks: each is then stored once.
    created = {o.note for o in outcomes if o.status == 201}
    refused = {o.note for o in outcomes if o.kind == "POST" and o.status == 503}
    retried = [client.record(note, key=fault_key(note)).status for note in sorted(refused)]
    assert set(retried) <= {200, 201}
    stored = stored_notes(postgres, "pg-")
    writes = created | refused
    assert {note: stored[note] for note in writes} == dict.fromkeys(writes, 1)


# (2) Redis stopped ---------------------------------------------------------------------


def test_redis_outage_keeps_writes_drops_events_with_a_log_line_and_asks_websockets_to_reconnect(
    app: AppServer,
    seed: dict[str, Any],
    postgres: PostgresCluster,
    redis_server: RedisServer,
    say: Callable[[str], None],
) -> None:
    client = client_for(app, seed, "redis")
    with client.follow_ward() as ws:
        assert client.record("redis-before").status == 201
        assert next_event(ws, client.admission, timeout=5) is not None, "no live event at all"

        redis_server.stop()
        stopped_at = time.monotonic()

        # The open websocket is told to reconnect, not dropped.
        assert close_code(ws, timeout=5) == CLOSE_SERVICE_RESTART
        told_after = time.monotonic() - stopped_at

    # Writes go on: answered 201 and stored.
    written = [client.record(f"redis-during-{n}") for n in range(3)]
    assert [response.status for response in written] == [201, 201, 201], crash_report(app)
    assert stored_notes(postgres, "redis-during-") == dict.fromkeys(
        [f"redis-during-{n}" for n in range(3)], 1
    )

    # Their live events are dropped, each with a log line.
    def dropped() -> list[dict[str, Any]]:
        return [
            record
            for record in app.log_records()
            if record.get("logger") == "careboard.realtime.publish"
            and record.get("message", "").startswith("could not publish observation.recorded")
        ]

    deadline = time.monotonic() + 5
    while len(dropped()) < len(written) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(dropped()) >= len(written), app.output()[-4000:]

    # Not ready, naming Redis; the database is fine.
    ready = client.readyz()
    assert ready.status == 503
    assert is_problem(ready, SERVICE_UNAVAILABLE)
    assert ready.body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert "redis" in ready.body["detail"]

    # A client reconnecting while Redis is still down is told the same.
    with client.connect() as early:
        assert close_code(early, timeout=5) == CLOSE_SERVICE_RESTART

    redis_server.start()
    started_at = time.monotonic()

    # The front end's way back: reconnect with back-off, resubscribe, and events flow again.
    attempts, delay, live = 0, 0.1, None
    while live is None and time.monotonic() < started_at + 15:
        attempts += 1
        try:
            with client.follow_ward() as ws:
                for n in range(3):
                    assert client.record(f"redis-after-{attempts}-{n}").status == 201
                    live = next_event(ws, client.admission, timeout=2)
                    if live is not None:
                        break
        except (OSError, WebSocketException, TimeoutError):
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    recovered_after = time.monotonic() - started_at
    ready_after = client.readyz()

    say(
        f"redis outage: websocket told {CLOSE_SERVICE_RESTART} after {told_after:.2f} s, "
        f"{len(written)} writes stored, {len(dropped())} event(s) dropped with a log line; "
        f"live again {recovered_after:.1f} s after Redis returned "
        f"({attempts} connection attempt(s))"
    )
    assert live is not None, "no live event after Redis returned"
    assert ready_after.status == 200, ready_after.body


# (3) SIGKILL during a burst of writes ------------------------------------------------------


def test_sigkill_during_a_burst_then_retries_store_each_observation_exactly_once(
    app: AppServer, seed: dict[str, Any], postgres: PostgresCluster, say: Callable[[str], None]
) -> None:
    client = client_for(app, seed, "sigkill")
    run = uuid.uuid4().hex[:8]
    burst = [(f"kill-{run}-{n:03d}", str(uuid.uuid4())) for n in range(40)]
    pending: queue.Queue[int] = queue.Queue()
    for index in range(len(burst)):
        pending.put(index)
    acknowledged: dict[int, str] = {}
    unexpected: list[str] = []
    tally = Counter[str]()
    lock = threading.Lock()

    give_up = time.monotonic() + 60

    def worker() -> None:
        """Send, and on no answer (or 503) send the same request again with back-off."""
        delay = 0.05
        while len(acknowledged) + len(unexpected) < len(burst) and time.monotonic() < give_up:
            try:
                index = pending.get(timeout=0.1)
            except queue.Empty:
                continue
            note, key = burst[index]
            with lock:
                tally["sent"] += 1
            try:
                response = client.record(note, key=key)
            except OSError:
                with lock:
                    tally["no answer"] += 1
                pending.put(index)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            delay = 0.05
            with lock:
                tally[str(response.status)] += 1
                if response.status in (200, 201):
                    acknowledged[index] = response.body["id"]
                elif response.status == 503:
                    pending.put(index)
                else:
                    unexpected.append(f"{response.status}: {response.body}")

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < len(burst) // 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    killed_after = len(acknowledged)
    app.kill()
    killed_at = time.monotonic()
    app.start()
    restarted_in = time.monotonic() - killed_at
    for thread in threads:
        thread.join(timeout=30)
    assert unexpected == []
    assert len(acknowledged) == len(burst), f"{len(burst) - len(acknowledged)} never answered"

    # A client that cannot tell what landed sends everything again: same key, same body.
    replays = [client.record(note, key=key) for note, key in burst]

    stored = stored_notes(postgres, f"kill-{run}-")
    duplicates = {note: count for note, count in stored.items() if count > 1}
    say(
        f"sigkill: killed after {killed_after}/{len(burst)} acknowledged, restarted in "
        f"{restarted_in:.1f} s; {tally['sent']} requests sent ({tally['no answer']} without "
        f"answer), {len(replays)} replays; {len(stored)} stored, {len(duplicates)} duplicated"
    )
    assert dict(stored) == dict.fromkeys((note for note, _key in burst), 1)
    assert {r.status for r in replays} <= {200, 201}
    assert [r.body["id"] for r in replays] == [acknowledged[n] for n in range(len(burst))]
