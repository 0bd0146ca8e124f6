"""Two app instances, one PostgreSQL, one Redis: the multi-instance path of DESIGN.md's "Scale"
on one machine.

Instance A and instance B are two uvicorn processes on two loopback ports, run as production
runs them (``config.settings.production``), sharing a private PostgreSQL cluster and a private
Redis server (``processes.py``; the machine's own servers are never touched). The test shows:

- a websocket on B, subscribed to a ward with a bearer token, receives the
  ``observation.recorded`` event of an observation POSTed to A (through the Redis channel
  layer), and so does one on B signed in with the session cookie A gave;
- a session cookie from signing in on A works on B, and an API token works on both;
- each instance's ``/metrics`` (multiprocess mode) counts what it served: the websockets open
  on B, the events A published.

It prints one line with the cross-instance event latency. Skipped when the server binaries
are missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import statistics
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from http.client import HTTPConnection
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import ClientConnection, connect

from careboard.core.tests.processes import (
    AppServer,
    PostgresCluster,
    RedisServer,
    django_command,
    http,
    missing_binaries,
)

MISSING = missing_binaries()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"the two-instance test needs {', '.join(MISSING)} on this machine"
)

DATABASE = "careboard_two_instances"
OBSERVATIONS = 5  # posted to A, each awaited on B
EVENT_TIMEOUT = 5.0
OBSERVATIONS_ROUTE = "/api/v1/admissions/<uuid:admission_id>/observations/"
# config.settings.production's cookie names.
SESSION_COOKIE = "__Secure-sessionid"
CSRF_COOKIE = "__Secure-csrftoken"

SEED = """
import json
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.utils import timezone

from careboard.organizations.roles import Role
from careboard.organizations.tests.factories import MembershipFactory, WardFactory
from careboard.patients import services
from careboard.patients.tests.factories import PatientFactory
from careboard.users.services import api_token_create
from careboard.users.tests.factories import PASSWORD

call_command("migrate", interactive=False, verbosity=0)
ward = WardFactory.create(name="Scale ward")
nurse = MembershipFactory.create(organization=ward.organization, role=Role.NURSE).user
# Production requires a verified address to sign in.
EmailAddress.objects.create(user=nurse, email=nurse.email, verified=True, primary=True)
admission = services.admission_admit(
    patient=PatientFactory.create(organization=ward.organization),
    ward=ward,
    by=nurse,
    admitted_at=timezone.now() - timedelta(hours=1),
)
token = api_token_create(user=nurse, name="two instances")[1]
print(json.dumps({
    "token": token, "ward": str(ward.pk), "admission": str(admission.pk),
    "email": nurse.email, "password": PASSWORD,
}))
"""


# Processes -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_env(postgres: PostgresCluster, redis_server: RedisServer) -> dict[str, str]:
    """Production settings against the shared private servers (both instances alike)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "PROMETHEUS_", "METRICS_"))
        and name not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        # One secret key for all instances, as in production: sessions are signed with it.
        SECRET_KEY="two-instances-only-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="False",
        DATABASE_URL=postgres.create_database(DATABASE),
        REDIS_URL=redis_server.url,
        OVERDUE_SWEEP_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def cluster(app_env: dict[str, str]) -> Iterator[tuple[list[AppServer], dict[str, Any]]]:
    """Instance A and instance B, and the seeded database: (servers, seed).

    The instances start while the database is migrated and seeded (they touch it only when
    a request needs it), which saves their start-up time. Each has its own metrics directory,
    as two hosts would."""
    servers, metric_dirs = [], []
    for _ in range(2):
        metric_dir = tempfile.mkdtemp(prefix="careboard-two-instances-prom-")
        metric_dirs.append(metric_dir)
        servers.append(AppServer(env={**app_env, "PROMETHEUS_MULTIPROC_DIR": metric_dir}))
    errors: list[BaseException] = []

    def start(server: AppServer) -> None:
        try:
            server.start(timeout=45)
        except BaseException as exc:  # raised below, in the fixture's thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    try:
        for thread in threads:
            thread.start()
        output = django_command(app_env, "shell", "--no-imports", "-c", SEED)
        seed = json.loads(output.strip().splitlines()[-1])
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        yield servers, seed
    finally:
        for thread in threads:
            thread.join()
        for server in servers:
            server.close()
        for metric_dir in metric_dirs:
            with contextlib.suppress(OSError):
                for name in os.listdir(metric_dir):
                    os.remove(os.path.join(metric_dir, name))
                os.rmdir(metric_dir)


@pytest.fixture
def say(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    def write(line: str) -> None:
        with capsys.disabled():
            print(f"\n    two instances: {line}", end="")  # noqa: T201

    return write


# Clients ---------------------------------------------------------------------------------


def raw(
    app: AppServer, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], str]:
    """One request without following redirects, keeping every Set-Cookie header."""
    conn = HTTPConnection("127.0.0.1", app.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode(errors="replace")
    finally:
        conn.close()


def cookies_from(headers: list[tuple[str, str]]) -> dict[str, str]:
    cookies = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key.strip()] = rest.split(";", 1)[0]
    return cookies


def sign_in(app: AppServer, email: str, password: str) -> tuple[str, str]:
    """Sign in through the login form, as a browser does: (session cookie name, value).

    The CSRF pair is the client's own (the cookie's secret echoed in the form), which Django
    accepts as it accepts its own: the login page itself needs the collected static files'
    manifest, which a test run has not built.
    """
    csrf = secrets.token_hex(16)  # 32 alphanumeric characters: a CSRF secret's form
    form = urllib.parse.urlencode(
        {"login": email, "password": password, "csrfmiddlewaretoken": csrf}
    ).encode()
    status, headers, page = raw(
        app,
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{CSRF_COOKIE}={csrf}",
        },
    )
    assert status == 302, f"sign-in answered {status}:\n{page[-500:]}\n{app.output()[-2500:]}"
    sessions = {k: v for k, v in cookies_from(headers).items() if k == SESSION_COOKIE}
    assert len(sessions) == 1, headers
    return next(iter(sessions.items()))


def me(app: AppServer, headers: dict[str, str]) -> tuple[int, Any]:
    response = http("GET", f"{app.base_url}/api/v1/me/", headers=headers)
    return response.status, response.body


@contextlib.contextmanager
def follow_ward(
    app: AppServer, ward: str, *, token: str | None = None, cookie: str | None = None
) -> Iterator[ClientConnection]:
    """A websocket on ``app`` subscribed to ``ward``: a program's (bearer subprotocol) or a
    signed-in browser's (session cookie)."""
    with connect(
        app.ws_url,
        subprotocols=["bearer", token] if token else None,  # type: ignore[list-item]
        additional_headers={"Cookie": cookie} if cookie else None,
        proxy=None,
        open_timeout=5,
    ) as ws:
        ws.send(json.dumps({"action": "subscribe", "ward": ward}))
        answer = json.loads(ws.recv(timeout=5))
        assert answer == {"type": "subscribed", "ward": ward}, answer
        yield ws


def wait_for_event(ws: ClientConnection, observation_id: str) -> float | None:
    """The monotonic time the observation's event arrived (None: not within the timeout)."""
    deadline = time.monotonic() + EVENT_TIMEOUT
    with contextlib.suppress(TimeoutError):
        while (remaining := deadline - time.monotonic()) > 0:
            event = json.loads(ws.recv(timeout=remaining))
            latest = (event.get("row") or {}).get("latest") or {}
            if event.get("type") == "observation.recorded" and latest.get("id") == observation_id:
                return time.monotonic()
    return None


def scrape(app: AppServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = http("GET", f"{app.base_url}/metrics")
    assert response.status == 200, response.status
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.body)
        for s in family.samples
    }


# The test --------------------------------------------------------------------------------


def test_two_instances_share_events_sessions_and_tokens(
    cluster: tuple[list[AppServer], dict[str, Any]], say: Callable[[str], None]
) -> None:
    (a, b), seed = cluster
    bearer = {"Authorization": f"Bearer {seed['token']}"}

    # An API token works on both instances.
    for app in (a, b):
        status, body = me(app, bearer)
        assert (status, body["email"]) == (200, seed["email"]), body

    # A session from signing in on A works on B (and on A).
    cookie_name, session = sign_in(a, seed["email"], seed["password"])
    cookie = f"{cookie_name}={session}"
    for app in (b, a):
        status, body = me(app, {"Cookie": cookie})
        assert (status, body["email"]) == (200, seed["email"]), body
    assert me(b, {"Cookie": f"{cookie_name}=not-a-session"})[0] in (401, 403)

    # Websockets on B (bearer token; A's session cookie) receive what is posted to A.
    url = f"{a.base_url}/api/v1/admissions/{seed['admission']}/observations/"
    latencies, posts = [], []
    with (
        follow_ward(b, seed["ward"], token=seed["token"]) as program,
        follow_ward(b, seed["ward"], cookie=cookie) as browser,
    ):
        for n in range(OBSERVATIONS):
            sent = time.monotonic()
            response = http(
                "POST",
                url,
                json_body={"heart_rate": 80 + n, "spo2": 97, "notes": f"two-instances-{n}"},
                headers=bearer,
            )
            assert response.status == 201, response.body
            posts.append(response.elapsed)
            arrived = wait_for_event(program, str(response.body["id"]))
            assert arrived is not None, (
                f"no observation.recorded on B for observation {n} posted to A\n"
                f"A:\n{a.output()[-1500:]}\nB:\n{b.output()[-1500:]}"
            )
            latencies.append(arrived - sent)
            assert wait_for_event(browser, str(response.body["id"])) is not None
        open_on_b = scrape(b)[("careboard_websocket_connections", ())]

    # Each instance's /metrics counts what it served.
    on_a = scrape(a)
    published = on_a[("careboard_events_published_total", (("type", "observation.recorded"),))]
    posted = on_a[
        (
            "careboard_http_requests_total",
            (("method", "POST"), ("route", OBSERVATIONS_ROUTE), ("status", "2xx")),
        )
    ]
    assert (open_on_b, published, posted) == (2, OBSERVATIONS, OBSERVATIONS)

    ms = sorted(latency * 1000 for latency in latencies)
    say(
        f"{OBSERVATIONS} observations POSTed to A :{a.port} reached websockets on B :{b.port} "
        f"in median {statistics.median(ms):.0f} ms from sending (max {ms[-1]:.0f} ms; "
        f"POST answered in median {statistics.median(posts) * 1000:.0f} ms); "
        f"A's session cookie and the API "
        f"token answered 200 on both; /metrics: {open_on_b:.0f} websockets open on B, "
        f"{published:.0f} events published by A"
    )
