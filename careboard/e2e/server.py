"""A real Careboard server for the browser tests.

uvicorn runs ``config.asgi:application`` with its lifespan (the overdue sweep) on a free port,
on a fresh SQLite database that is migrated and loaded with ``manage.py demo``: the same
stack ``make run`` starts, with DEBUG off so that the pages are the production ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn in a subprocess with its own database in a temporary directory.

    ``start()`` prepares the database and waits for ``/healthz``; ``close()`` stops the
    server and removes the directory. The server's output goes to ``log_path``, whose tail is
    part of every error raised here.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="careboard-e2e-"))
        self.log_path = self.root / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._log = self.log_path.open("ab")

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # The test run's own database, cache and channel layer are not the server's: the
        # browser tests always run on an embedded, throw-away stack (one process, so the
        # in-memory channel layer reaches every websocket).
        for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_VITE_DEV_MODE"):
            env.pop(name, None)
        database = self.root / "e2e.sqlite3"
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.local",
                "DJANGO_DEBUG": "False",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                # The embedded default's options: IMMEDIATE avoids "database is locked" when
                # a request and the overdue sweep write at once.
                "DATABASE_URL": f"sqlite:///{database}?transaction_mode=IMMEDIATE&timeout=20",
                "DJANGO_LOG_LEVEL": "WARNING",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def _manage(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{self.log_tail()}")

    def start(self, *, timeout: float = 60) -> None:
        self._manage("migrate", "--noinput")
        self._manage("demo")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--lifespan",
                "on",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"uvicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response,  # noqa: S310
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"uvicorn not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()
        shutil.rmtree(self.root, ignore_errors=True)
