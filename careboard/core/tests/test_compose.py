"""The container set-up: local.yml, production.yml and compose/ (docs/operations.md).

No Docker daemon runs where the tests run, so these check what can be checked without one:
the compose files parse, name the services they should, and point at files that exist; the
Dockerfiles copy files that exist and that .dockerignore lets through; the scripts are
executable and valid bash; the pieces agree with each other (ports, versions, commands); and
the production entrypoint really waits for PostgreSQL (it is run here, outside a container).
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_DIR = ROOT / "compose"
ENTRYPOINT = COMPOSE_DIR / "production" / "django" / "entrypoint"
PRODUCTION_START = COMPOSE_DIR / "production" / "django" / "start"
TRAEFIK_CONFIG = COMPOSE_DIR / "production" / "traefik" / "traefik.yml"
MAINTENANCE_DIR = COMPOSE_DIR / "production" / "postgres" / "maintenance"

# Every executable script, and the files the maintenance scripts source.
SCRIPTS = [
    COMPOSE_DIR / "local" / "django" / "start",
    ENTRYPOINT,
    PRODUCTION_START,
    MAINTENANCE_DIR / "backup",
    MAINTENANCE_DIR / "backups",
    MAINTENANCE_DIR / "restore",
]
SOURCED = sorted((MAINTENANCE_DIR / "_sourced").glob("*.sh"))

# Per compose file: the services, each with the keys it must have.
DJANGO_IMAGE_KEYS = {"build", "image", "env_file", "depends_on", "command"}
EXPECTED_SERVICES = {
    "local.yml": {
        "django": DJANGO_IMAGE_KEYS | {"volumes", "ports", "environment"},
        "postgres": {"build", "image", "env_file", "volumes", "healthcheck"},
        "redis": {"image"},
        "celeryworker": DJANGO_IMAGE_KEYS | {"volumes", "environment"},
        "celerybeat": DJANGO_IMAGE_KEYS | {"volumes", "environment"},
        "docs": {"build", "image", "volumes", "ports"},
    },
    "production.yml": {
        "django": DJANGO_IMAGE_KEYS | {"restart", "healthcheck", "stop_grace_period"},
        "postgres": {"build", "image", "env_file", "volumes", "restart", "healthcheck"},
        "redis": {"image", "volumes", "restart", "healthcheck"},
        "celeryworker": DJANGO_IMAGE_KEYS | {"restart"},
        "celerybeat": DJANGO_IMAGE_KEYS | {"restart"},
        "traefik": {"build", "image", "volumes", "ports", "depends_on", "restart"},
    },
}
COMPOSE_FILES = sorted(EXPECTED_SERVICES)

# The production env files hold secrets: git-ignored, with a committed .example beside them.
GIT_IGNORED_ENV_FILES = {".envs/.production/.django", ".envs/.production/.postgres"}

PG_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
PG_PORT = os.environ.get("TEST_POSTGRES_PORT", "5432")
PG_USER = os.environ.get("TEST_POSTGRES_USER", "postgres")


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run one of our own scripts or a named tool (resolved on PATH), capturing text output."""
    executable = argv[0] if os.sep in argv[0] else shutil.which(argv[0])
    assert executable, f"{argv[0]} is not on PATH"
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 60)
    return subprocess.run([executable, *argv[1:]], check=False, **kwargs)  # noqa: S603


def load_compose(name: str) -> dict[str, Any]:
    with (ROOT / name).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), f"{name} is not a YAML mapping"
    return data


def services(name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load_compose(name)["services"]
    return found


def as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else shlex.join(command)


def builds() -> list[tuple[str, str, Path, Path]]:
    """(compose file, service, build context, Dockerfile) for every service that builds."""
    found = []
    for name in COMPOSE_FILES:
        for service_name, service in services(name).items():
            build = service.get("build")
            if build is None:
                continue
            if isinstance(build, str):
                build = {"context": build}
            context = (ROOT / build.get("context", ".")).resolve()
            dockerfile = (context / build.get("dockerfile", "Dockerfile")).resolve()
            found.append((name, service_name, context, dockerfile))
    return found


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def copy_sources(path: Path) -> list[str]:
    """Sources of COPY/ADD instructions that read the build context (not --from a stage)."""
    sources = []
    for keyword, rest in dockerfile_instructions(path):
        if keyword not in {"COPY", "ADD"}:
            continue
        tokens = shlex.split(rest)
        if any(token.startswith("--from") for token in tokens):
            continue
        arguments = [token for token in tokens if not token.startswith("--")]
        sources.extend(arguments[:-1])
    return sources


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def dockerignored(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore drops ``relative`` (or a folder above it) from the context."""
    parts = Path(relative).parts
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        for pattern in patterns:
            if pattern.startswith("!"):
                continue
            if fnmatch.fnmatchcase(prefix, pattern.rstrip("/")):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(parts[depth - 1], pattern[3:]):
                return True
    return False


def default_in_script(script: Path, variable: str) -> str:
    match = re.search(r"\$\{" + variable + r":-([^}]*)\}", script.read_text(encoding="utf-8"))
    assert match, f"{script.name} has no default for {variable}"
    return match.group(1)


# Compose files
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_has_the_expected_services_and_keys(name):
    found = services(name)
    expected = EXPECTED_SERVICES[name]
    assert set(found) == set(expected)
    for service_name, keys in expected.items():
        missing = keys - set(found[service_name])
        assert not missing, f"{name}: service {service_name} lacks {sorted(missing)}"


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_commands(name):
    found = services(name)
    assert command_text(found["django"]) == "/start"
    assert command_text(found["celeryworker"]).startswith("celery -A config.celery_app worker")
    assert command_text(found["celerybeat"]).startswith("celery -A config.celery_app beat")
    for service_name in ("django", "celeryworker", "celerybeat"):
        assert {"postgres", "redis"} <= set(found[service_name]["depends_on"])


def test_celery_services_run_the_app_that_exists_and_the_server_leaves_them_the_work():
    from config.celery_app import app

    assert (app.main, app.conf.broker_url is not None) == ("careboard", True)
    # local.yml says it in its environment, production in its env file (the example).
    local = services("local.yml")
    for service_name in ("django", "celeryworker", "celerybeat"):
        assert local[service_name]["environment"]["BACKGROUND_JOBS"] == "celery"
    example = (ROOT / ".envs/.production/.django.example").read_text(encoding="utf-8")
    assert re.search(r"^BACKGROUND_JOBS=celery$", example, re.M)
    for name in COMPOSE_FILES:
        assert "not there yet" not in (ROOT / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_images_are_pinned_to_the_expected_major_versions(name):
    found = services(name)
    assert found["redis"]["image"] in {"redis:7", "docker.io/redis:7"}
    postgres_dockerfile = next(
        dockerfile
        for file, service, _, dockerfile in builds()
        if (file, service) == (name, "postgres")
    )
    base = next(
        rest for keyword, rest in dockerfile_instructions(postgres_dockerfile) if keyword == "FROM"
    )
    assert base.split()[0].removeprefix("docker.io/") == "postgres:16"


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_build_contexts_and_dockerfiles_exist(name):
    for file, service, context, dockerfile in builds():
        if file != name:
            continue
        assert context.is_dir(), f"{name}: {service}: build context {context} missing"
        assert dockerfile.is_file(), f"{name}: {service}: {dockerfile} missing"
        assert dockerfile.is_relative_to(context), f"{name}: {service}: Dockerfile outside context"


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_env_files_exist(name):
    for service_name, service in services(name).items():
        for env_file in as_list(service.get("env_file")):
            relative = os.path.normpath(env_file)
            if relative in GIT_IGNORED_ENV_FILES:
                example = ROOT / f"{relative}.example"
                assert example.is_file(), f"{name}: {service_name}: {example} missing"
            else:
                assert (ROOT / relative).is_file(), f"{name}: {service_name}: {relative} missing"


def test_production_env_files_are_git_ignored():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for relative in sorted(GIT_IGNORED_ENV_FILES):
        result = run(["git", "check-ignore", "--quiet", "--no-index", relative], cwd=ROOT)
        assert result.returncode == 0, f"{relative} would be committed: add it to .gitignore"


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_volumes_are_declared_or_exist(name):
    data = load_compose(name)
    declared = set(data.get("volumes") or {})
    for service_name, service in data["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: {service_name}: {source} missing"
            else:
                assert source in declared, f"{name}: {service_name}: volume {source} undeclared"


def test_production_publishes_only_traefik():
    found = services("production.yml")
    published = {name for name, service in found.items() if service.get("ports")}
    assert published == {"traefik"}
    ports = {port.rsplit(":", 1)[-1] for port in found["traefik"]["ports"]}
    assert ports == {"80", "443"}


def test_production_stop_grace_period_exceeds_the_graceful_timeout():
    grace = services("production.yml")["django"]["stop_grace_period"]
    match = re.fullmatch(r"(\d+)s", str(grace))
    assert match, f"stop_grace_period {grace!r} is not in seconds"
    graceful_timeout = int(default_in_script(PRODUCTION_START, "GUNICORN_GRACEFUL_TIMEOUT"))
    assert int(match.group(1)) > graceful_timeout


def test_production_healthcheck_asks_django_liveness_on_the_gunicorn_port():
    test = services("production.yml")["django"]["healthcheck"]["test"]
    assert "http://127.0.0.1:5000/healthz" in " ".join(test)
    assert "--bind 0.0.0.0:5000" in PRODUCTION_START.read_text(encoding="utf-8")


# Dockerfiles
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "service", "context", "dockerfile"),
    builds(),
    ids=[f"{file}-{service}" for file, service, _, _ in builds()],
)
def test_dockerfile_copies_files_that_exist_and_are_not_dockerignored(
    name, service, context, dockerfile
):
    patterns = dockerignore_patterns()
    for source in copy_sources(dockerfile):
        matches = list(context.glob(source)) if source not in {".", "./"} else [context]
        assert matches, f"{dockerfile.relative_to(ROOT)}: COPY source {source} does not exist"
        relative = os.path.normpath(source)
        if relative != ".":
            assert not dockerignored(relative, patterns), f"{source} is in .dockerignore"


def test_dockerignore_keeps_secrets_and_local_state_out_of_images():
    patterns = dockerignore_patterns()
    for relative in (
        ".envs/.production/.django",
        ".git/config",
        ".venv/bin/python",
        "var/x",
        "careboard/static/dist/manifest.json",  # built in the image
    ):
        assert dockerignored(relative, patterns), f"{relative} would be sent to the build"
    for relative in (
        "manage.py",
        "config/settings/production.py",
        "compose/production/django/start",
    ):
        assert not dockerignored(relative, patterns), f"{relative} would be missing in the image"


def test_production_dockerfile():
    dockerfile = COMPOSE_DIR / "production" / "django" / "Dockerfile"
    instructions = dockerfile_instructions(dockerfile)
    text = " ".join(f"{keyword} {rest}" for keyword, rest in instructions)
    stages = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert len(stages) >= 2, "expected a multi-stage build"
    assert any(
        keyword == "ARG" and rest == "PYTHON_VERSION=3.11-slim" for keyword, rest in instructions
    )
    assert "uv sync --frozen --no-dev --group production" in text
    assert "collectstatic" in text
    final_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    users = [rest for keyword, rest in final_stage if keyword == "USER"]
    assert users, "the final stage must switch to a non-root user"
    assert users[-1] not in {"root", "0"}
    assert ("ENTRYPOINT", '["/entrypoint"]') in instructions
    assert ("CMD", '["/start"]') in instructions


def test_production_dockerfile_builds_the_front_end_in_a_node_20_stage():
    instructions = dockerfile_instructions(COMPOSE_DIR / "production" / "django" / "Dockerfile")
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    stages = {
        instructions[start][1].split()[-1]: instructions[start : ([*starts, None])[n + 1]]
        for n, start in enumerate(starts)
    }
    node = stages["frontend-build"]
    assert node[0][1].split()[0].removeprefix("docker.io/").startswith("node:20")
    text = " ".join(rest for _, rest in node)
    assert "npm ci" in text
    assert "npm run build" in text
    # The licence listing reads the Python packages of the image's own environment.
    assert "COPY --from=python-build /opt/venv /opt/venv" in " ".join(f"{k} {r}" for k, r in node)
    assert "LICENSES_PYTHON=" in text
    assert "LICENSES_PYTHON" in (ROOT / "frontend/scripts/licenses.mjs").read_text()
    runtime = " ".join(f"{k} {r}" for k, r in stages["python-run"])
    assert "COPY --from=frontend-build" in runtime
    assert "/app/careboard/static/dist" in runtime
    # Collected after the front end is in place, so its files are in staticfiles.
    assert runtime.index("COPY --from=frontend-build") < runtime.index("collectstatic")


@pytest.mark.parametrize("relative", ["production/django/Dockerfile", "local/django/Dockerfile"])
def test_dockerfiles_pin_the_makefiles_uv(relative):
    makefile_uv = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv
    text = (COMPOSE_DIR / relative).read_text(encoding="utf-8")
    assert f"ARG UV_VERSION={makefile_uv.group(1)}" in text
    assert 'pip install --no-cache-dir "uv==${UV_VERSION}"' in text


def test_production_server_packages_are_in_the_production_group():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    production = " ".join(pyproject["dependency-groups"]["production"])
    assert "gunicorn" in production
    assert "uvicorn-worker" in production
    start = PRODUCTION_START.read_text(encoding="utf-8")
    assert "exec gunicorn config.asgi:application" in start
    assert "--worker-class uvicorn_worker.UvicornWorker" in start
    assert '--workers "${WEB_CONCURRENCY:-' in start
    assert '--graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-' in start


# Traefik
# ------------------------------------------------------------------------------


def test_traefik_terminates_tls_redirects_http_and_forwards_everything_to_django():
    config = yaml.safe_load(TRAEFIK_CONFIG.read_text(encoding="utf-8"))
    entry_points = config["entryPoints"]
    assert entry_points["web"]["address"] == ":80"
    redirect = entry_points["web"]["http"]["redirections"]["entryPoint"]
    assert (redirect["to"], redirect["scheme"]) == ("web-secure", "https")
    assert entry_points["web-secure"]["address"] == ":443"

    acme = config["certificatesResolvers"]["letsencrypt"]["acme"]
    assert acme["httpChallenge"]["entryPoint"] == "web"
    assert acme["storage"].startswith("/etc/traefik/acme/")

    routers = config["http"]["routers"]
    for router_name, router in routers.items():
        assert router["entryPoints"] == ["web-secure"], router_name
        assert router["tls"]["certResolver"] == "letsencrypt", router_name
        assert router["service"] == "django", router_name
    rules = [router["rule"] for router in routers.values()]
    assert any("PathPrefix(`/ws/`)" in rule for rule in rules), "no websocket router"
    assert any("PathPrefix" not in rule for rule in rules), "no catch-all router (pages, /api/)"

    servers = config["http"]["services"]["django"]["loadBalancer"]["servers"]
    assert servers == [{"url": "http://django:5000"}]

    # The file provider reads this same file where the Dockerfile puts it.
    dockerfile = (COMPOSE_DIR / "production" / "traefik" / "Dockerfile").read_text()
    assert config["providers"]["file"]["filename"] == "/etc/traefik/traefik.yml"
    assert "/etc/traefik/traefik.yml" in dockerfile
    volume = services("production.yml")["traefik"]["volumes"][0]
    assert volume.split(":")[1] == "/etc/traefik/acme"


# Scripts
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_script_is_executable_bash_that_parses(script):
    assert script.is_file()
    assert os.access(script, os.X_OK), f"{script} is not executable (git update-index --chmod=+x)"
    first_line = script.read_text(encoding="utf-8").splitlines()[0]
    assert first_line in {"#!/usr/bin/env bash", "#!/bin/bash"}
    result = run(["bash", "-n", str(script)])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", SOURCED, ids=lambda path: path.name)
def test_sourced_script_parses(script):
    result = run(["bash", "-n", str(script)])
    assert result.returncode == 0, result.stderr


def test_scripts_are_strict():
    for script in [*SCRIPTS]:
        text = script.read_text(encoding="utf-8")
        strict = "set -euo pipefail" in text or "set -o errexit -o nounset -o pipefail" in text
        assert strict, f"{script} does not set errexit, nounset and pipefail"


# The entrypoint, run outside a container
# ------------------------------------------------------------------------------


def entrypoint_env(**extra: str) -> dict[str, str]:
    """This environment without any database setting, python (with psycopg) first on PATH."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DATABASE_URL" and not key.startswith(("POSTGRES_", "PG"))
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_entrypoint(*command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run([str(ENTRYPOINT), *command], env=entrypoint_env(**env))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def postgres_url() -> str:
    import psycopg

    url = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"no PostgreSQL at {PG_HOST}:{PG_PORT}: {exc}")
    return url


def test_entrypoint_gives_up_on_an_unreachable_database_with_a_clear_message():
    port = free_port()
    started = time.monotonic()
    result = run_entrypoint(
        "echo",
        "ran",
        DATABASE_URL=f"postgres://careboard:secret-pw@127.0.0.1:{port}/careboard",
        POSTGRES_WAIT_RETRIES="2",
        POSTGRES_WAIT_DELAY="0.1",
    )
    assert result.returncode != 0
    assert time.monotonic() - started < 20
    assert "ran" not in result.stdout, "the command must not run without a database"
    assert f"PostgreSQL at 127.0.0.1:{port}/careboard" in result.stderr
    assert "giving up" in result.stderr
    assert "after 2 attempts" in result.stderr
    assert result.stderr.count("attempt ") == 2
    assert "secret-pw" not in result.stderr


def test_entrypoint_runs_the_command_once_postgres_answers(postgres_url):
    result = run_entrypoint("echo", "ok", DATABASE_URL=postgres_url, POSTGRES_WAIT_RETRIES="3")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_entrypoint_passes_the_commands_exit_status(postgres_url):
    result = run_entrypoint("sh", "-c", "exit 7", DATABASE_URL=postgres_url)
    assert result.returncode == 7


def test_entrypoint_builds_and_exports_database_url_from_postgres_variables(postgres_url):
    # Trust authentication ignores the password, which shows how it is encoded.
    result = run_entrypoint(
        "sh",
        "-c",
        'printf %s "$DATABASE_URL"',
        POSTGRES_HOST=PG_HOST,
        POSTGRES_PORT=PG_PORT,
        POSTGRES_USER=PG_USER,
        POSTGRES_DB="postgres",
        POSTGRES_PASSWORD="p@ss/w:rd %",
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout == f"postgres://{PG_USER}:p%40ss%2Fw%3Ard%20%25@{PG_HOST}:{PG_PORT}/postgres"
    )


def test_entrypoint_refuses_to_start_without_any_database_setting():
    result = run_entrypoint("echo", "ran", POSTGRES_HOST="db")
    assert result.returncode != 0
    assert "ran" not in result.stdout
    assert "DATABASE_URL is not set" in result.stderr
    assert "POSTGRES_DB POSTGRES_USER" in result.stderr
