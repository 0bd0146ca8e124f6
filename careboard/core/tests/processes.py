"""Private PostgreSQL, Redis and app-server processes for the fault tests.

Other test runs share this machine's PostgreSQL and Redis, so a test that stops a server must
stop its own: each class here starts one in a temporary directory on a free port and can stop,
start, or kill it as often as the test needs. ``close()`` ends the process and removes the
directory; call it from a fixture finalizer so nothing outlives a failed test.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None when they are missing."""
    candidates = []
    if found := shutil.which("initdb"):
        candidates.append(Path(found).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for directory in candidates:
        if all((directory / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def missing_binaries() -> list[str]:
    """What the fault tests need and this machine lacks (empty when all is there)."""
    missing = []
    if postgres_bin_dir() is None:
        missing.append("initdb/pg_ctl/postgres")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing.append("runuser (PostgreSQL refuses to run as root)")
    return missing


def wait_for(predicate: Any, *, timeout: float, interval: float = 0.05, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PostgresCluster:
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port>, trust authentication.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres``
    system user and its commands run through ``runuser``.
    """

    def __init__(self) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="careboard-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        try:
            if self._as_postgres:
                shutil.chown(self.root, user="postgres", group="postgres")
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=60, check=False, cwd=self.root
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stderr.strip() or result.stdout}")
        return result

    def start(self) -> None:
        # fsync off: the cluster is thrown away; a crash test does not need durable disks,
        # only a server that goes away and comes back.
        options = f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off -c max_connections=60"
        try:
            self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
            )
        except RuntimeError as exc:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{exc}\n{log}") from exc

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session, like an operator's restart; ``immediate`` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def query(self, dbname: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url(dbname)) as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.running:
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A private ``redis-server`` with no persistence: a restart starts empty, like a crash."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="careboard-faults-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
                *("--dir", str(self.root), "--logfile", str(self.root / "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


# Straight to 127.0.0.1, whatever proxy the environment names.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Response:
    """One HTTP request. An error status is an answer; no answer (refused, reset, cut off
    midway, timed out) raises OSError."""
    data = None if json_body is None else json.dumps(json_body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout) as raw:
            status, raw_headers, payload = raw.status, raw.headers, raw.read()
    except urllib.error.HTTPError as error:
        status, raw_headers, payload = error.code, error.headers, error.read()
    except HTTPException as error:  # the server died while answering
        raise ConnectionError(f"{type(error).__name__}: {error}") from error
    body: Any = payload.decode(errors="replace")
    if payload and "json" in (raw_headers.get("Content-Type") or ""):
        body = json.loads(payload)
    return Response(
        status=status,
        headers={k.lower(): v for k, v in raw_headers.items()},
        body=body,
        elapsed=time.monotonic() - started,
    )


@dataclass
class AppServer:
    """The ASGI app under uvicorn, as production runs it, with its output in a file."""

    # Not in the repr: pytest prints fixtures in failure reports, and the environment may
    # hold secrets.
    env: dict[str, str] = field(repr=False)
    port: int = field(default_factory=free_port)
    log: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="careboard-faults-app-")) / "app.log"
    )
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def start(self, timeout: float = 30) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    *("-m", "uvicorn", "config.asgi:application"),
                    *("--host", "127.0.0.1", "--port", str(self.port), "--lifespan", "on"),
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def answers() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the app exited on start:\n{self.output()[-3000:]}")
            try:
                return http("GET", f"{self.base_url}/healthz", timeout=1).status == 200
            except OSError:
                return False

        wait_for(answers, timeout=timeout, interval=0.1, what="the app server")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, whatever was in flight is cut off."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines the app wrote (production's format); other lines are skipped."""
        records = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    records.append(json.loads(line))
        return records

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.log.parent, ignore_errors=True)


def django_command(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run ``manage.py <args>`` with ``env``; its stdout, or RuntimeError with its output."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args[:1])} failed:\n{result.stderr[-3000:]}")
    return result.stdout
