"""Production settings: refuse to start half-configured; pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x7Kq2vN9pL4mR8tY1wZ6bC3dF5gH0jA2sE4uI6oP8aQ1rT3yU5iO7pL9kJ2hG4fD",
    "ALLOWED_HOSTS": "careboard.example.org",
    "DATABASE_URL": "postgres://careboard:secret@db.example.org:5432/careboard",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "REDIS_URL"}
    return subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_naming_the_missing_variable(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert missing in lines[0]
    assert "Traceback" not in result.stderr


def test_production_refuses_an_empty_variable():
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": "  "})
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr


def test_production_passes_the_deployment_checks():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_response_carries_the_security_headers(tmp_path):
    script = (
        "from django.test import Client\n"
        "r = Client().get('/healthz', secure=True, HTTP_HOST='careboard.example.org')\n"
        "print(r.status_code)\n"
        "for h in ('Strict-Transport-Security', 'Content-Security-Policy', "
        "'X-Frame-Options', 'Referrer-Policy', 'X-Content-Type-Options'):\n"
        "    print(h + ': ' + r.get(h, 'MISSING'))\n"
        "r = Client().get('/healthz', HTTP_HOST='careboard.example.org')\n"
        "print('plain http:', r.status_code, r.get('Location'))\n"
    )
    env = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = run_manage("shell", "--no-imports", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == "200"
    assert "Strict-Transport-Security: max-age=31536000; includeSubDomains; preload" in out
    assert "X-Frame-Options: DENY" in out
    assert "Referrer-Policy: same-origin" in out
    assert "X-Content-Type-Options: nosniff" in out
    csp = next(line for line in out.splitlines() if line.startswith("Content-Security-Policy"))
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    # Health probes stay reachable over plain HTTP inside the cluster; the rest redirects.
    assert "plain http: 200" in out
