"""Careboard's benchmark: production stack on this machine, ratios measured in one run.

    python bench/run.py --quick            # make bench: the "quick" data set, a few minutes
    python bench/run.py --full             # make bench-full: hospital, then region scale

For each scale: a fresh database ``careboard_bench`` (migrated, ``generate_data``), the
application as production runs it (gunicorn with uvicorn workers, production settings,
PostgreSQL, Redis), then each scenario with ``wrk`` (one thread, fixed connections, a
warm-up, then the measured run), the ward board's SQL timed in PostgreSQL, and the bulk
import. Results: ``bench/results/<timestamp>.json`` and ``.md`` (see bench/README.md).
Every request loop is bounded in time and targets 127.0.0.1 only.
"""

# ruff: noqa: T201  (command-line scripts print their results)
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = str(ROOT / ".venv" / "bin" / "python")
WORK = ROOT / "var" / "bench"  # scratch: request lists, fixtures, import file, server log
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DB_NAME = os.environ.get("BENCH_DB", "careboard_bench")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")

# name -> (what, target as a share of the floor's throughput or None)
SCENARIOS: dict[str, tuple[str, float | None]] = {
    "floor": ("GET /api/v1/me/ with a token", None),
    "ward_board": ("GET /api/v1/wards/{id}/board/ (30 beds)", 0.40),
    "critical_list": ("GET /api/v1/board/critical/ (the organisation's wards)", None),
    "patient_series": ("GET /api/v1/admissions/{id}/series/ (7 days, 6 fields)", None),
    "program_detail": ("GET /api/v1/programs/{id}/ (5 sessions x 10 items)", 0.50),
    "portal_today": ("GET /api/v1/portal/today/ (5 x 10 program)", 0.50),
    "exercise_search": ("GET /api/v1/exercises/?search=word", None),
    "record_observation": ("POST /api/v1/admissions/{id}/observations/", 0.25),
}
TARGETS = {
    "ward_board_raw_sql_ratio": 5.0,  # at most
    "scale_ratio": 1.2,  # at most
    "import_obs_per_s": 20_000,  # at least
}


def db_for(scale: str) -> str:
    """The benchmark database of one scale: kept between runs and reused (see
    ``prepare_database``)."""
    return f"{DB_NAME}_{scale}"


def env_for_app(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DATABASE_URL": f"{PG}/{database}",
            "REDIS_URL": REDIS,
            "DJANGO_SECURE_SSL_REDIRECT": "False",
            # The limits stop abuse by one caller; the driver is one caller on purpose.
            "API_THROTTLE_USER": "100000000/min",
            "API_THROTTLE_ANON": "100000000/min",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def sh(cmd: list[str], *, env: dict[str, str] | None = None, check: bool = True) -> str:
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return result.stdout + result.stderr


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    log("installing wrk (apt-get install -y wrk)")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)  # noqa: S607
    path = shutil.which("wrk")
    if not path:
        subprocess.run(["apt-get", "update", "-qq"], check=False)  # noqa: S607
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)  # noqa: S607
        path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return path


# --------------------------------------------------------------------------- CPU accounting


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return out


def _pids_named(name: str) -> list[int]:
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "comm").read_text().strip() == name:
                pids.append(int(proc.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pids


def _bench_backends() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to a benchmark database (other
    databases on the same server belong to other work and are left out)."""
    query = f"SELECT pid FROM pg_stat_activity WHERE datname LIKE '{DB_NAME}%'"  # noqa: S608
    out = sh(["psql", f"{PG}/postgres", "-tAc", query], check=False)
    return {int(p): _cpu_of(int(p)) for p in out.split() if p.strip().isdigit()}


def children_cpu() -> float:
    """CPU seconds of this process's finished children (and theirs): the driver's."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    out = {k: after[k] - before[k] for k in after if k != "backends"}
    out["postgres_bench"] = sum(
        cpu - before["backends"].get(pid, 0.0) for pid, cpu in after["backends"].items()
    )
    return out


class CpuMeter:
    """CPU seconds of the app server (master and workers), PostgreSQL (all of it, and the
    benchmark database's backends), Redis, the driver and the whole machine."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid

    def sample(self) -> dict[str, Any]:
        pid = self.server_pid
        server = [pid, *_children(pid)] if pid else []
        total = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        busy = sum(int(x) for i, x in enumerate(total) if i not in (3, 4))
        return {
            "server": sum(_cpu_of(p) for p in server),
            "postgres": sum(_cpu_of(p) for p in _pids_named("postgres")),
            "redis": sum(_cpu_of(p) for p in _pids_named("redis-server")),
            "machine_busy": busy / os.sysconf("SC_CLK_TCK"),
            "backends": _bench_backends(),
        }


# --------------------------------------------------------------------------- server


def ensure_production_group() -> None:
    """gunicorn and uvicorn-worker (the ``production`` group, as ``make bench`` installs it):
    installed again if a plain ``uv sync`` removed them since."""
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        log("installing the production dependency group (uv sync --group production)")
        uv = ROOT / ".tools" / "bin" / "uv"
        sh([str(uv), "sync", "--frozen", "--group", "production", "--inexact"])


def start_server(
    env: dict[str, str], workers: int, logfile: Path, port: int = PORT
) -> subprocess.Popen[bytes]:
    ensure_production_group()
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "config.asgi:application",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
    ]
    handle = open(logfile, "w")  # noqa: SIM115
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=handle, stderr=handle)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200 and len(_children(server.pid)) >= workers:
                    return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server stopped; see {logfile}")
        time.sleep(0.5)
    raise SystemExit(f"the server did not start; see {logfile}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --------------------------------------------------------------------------- requests


def request_lines(name: str, fx: dict[str, Any]) -> list[str]:
    nurse = f"Bearer {fx['nurse_token']}"
    therapist = f"Bearer {fx['therapist_token']}"
    series_fields = "heart_rate,respiratory_rate,spo2,temperature,systolic_bp,news2_total"
    body = json.dumps(
        {
            "respiratory_rate": 18,
            "spo2": 96,
            "on_oxygen": False,
            "systolic_bp": 124,
            "diastolic_bp": 78,
            "heart_rate": 84,
            "consciousness": "A",
            "temperature": 37.4,
            "pain_score": 2,
        }
    )
    if name == "floor":
        return [f"GET\t/api/v1/me/\t{nurse}\t"]
    if name == "ward_board":
        return [f"GET\t/api/v1/wards/{w['id']}/board/\t{nurse}\t" for w in fx["wards"]]
    if name == "critical_list":
        return [f"GET\t/api/v1/board/critical/\t{nurse}\t"]
    if name == "patient_series":
        return [
            f"GET\t/api/v1/admissions/{a}/series/?fields={series_fields}\t{nurse}\t"
            for a in fx["long_stays"] or fx["admissions"]
        ]
    if name == "program_detail":
        return [f"GET\t/api/v1/programs/{p}/\t{therapist}\t" for p in fx["programs"]]
    if name == "portal_today":
        return [f"GET\t/api/v1/portal/today/\tBearer {t}\t" for t in fx["portal_tokens"]]
    if name == "exercise_search":
        return [
            f"GET\t/api/v1/exercises/?search={term}\t{therapist}\t" for term in fx["exercise_terms"]
        ]
    if name == "record_observation":
        return [
            f"POST\t/api/v1/admissions/{a}/observations/\t{nurse}\t{body}" for a in fx["admissions"]
        ]
    raise KeyError(name)


def run_wrk(
    wrk: str,
    name: str,
    fx: dict[str, Any],
    *,
    connections: int,
    seconds: int,
    meter: CpuMeter,
    port: int = PORT,
) -> dict[str, Any]:
    path = WORK / f"requests-{name}-{port}.tsv"
    path.write_text("\n".join(request_lines(name, fx)) + "\n")
    env = {**os.environ, "REQUESTS": str(path)}
    cmd = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-s",
        str(BENCH / "lua" / "requests.lua"),
        f"http://127.0.0.1:{port}",
    ]
    before = meter.sample()
    started, driver = time.monotonic(), children_cpu()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    wall, driver = time.monotonic() - started, children_cpu() - driver
    after = meter.sample()
    path.unlink()
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    raw = json.loads(line[len("BENCH_JSON ") :])
    cpu = cpu_delta(before, after)
    cpu["driver"] = driver
    machine = os.cpu_count() or 1
    lat = raw["latency_us"]
    errors = sum(raw["errors"].values())
    return {
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p95_ms": round(lat["p95"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "mean_ms": round(lat["mean"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "requests": raw["requests"],
        "errors": raw["errors"],
        "error_count": errors,
        "connections": connections,
        "seconds": seconds,
        "cpu_seconds": {k: round(v, 2) for k, v in cpu.items()},
        # The driver's share of the machine's CPU time and of the busy CPU time.
        "driver_cpu_share_of_machine": round(cpu["driver"] / (wall * machine), 4),
        "driver_cpu_share_of_busy": round(cpu["driver"] / max(cpu["machine_busy"], 1e-9), 4),
        "machine_busy_share": round(cpu["machine_busy"] / (wall * machine), 3),
        # What one request costs the stack (app server + its PostgreSQL backends + Redis),
        # in CPU milliseconds: independent of what else the machine is doing.
        "cpu_ms_per_request": round(
            (cpu["server"] + cpu["postgres_bench"] + cpu["redis"]) * 1000 / max(raw["requests"], 1),
            3,
        ),
    }


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one scenario: throughput over all of them, the median round's latencies."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    cpu = {k: round(sum(r["cpu_seconds"][k] for r in runs), 2) for k in runs[0]["cpu_seconds"]}
    out = {
        "rps": round(requests / seconds, 1),
        "requests": requests,
        "seconds": seconds,
        "rounds": len(runs),
        "error_count": sum(r["error_count"] for r in runs),
        "connections": runs[0]["connections"],
        "cpu_seconds": cpu,
        "driver_cpu_share_of_busy": round(cpu["driver"] / max(cpu["machine_busy"], 1e-9), 4),
        "driver_cpu_share_of_machine": round(
            statistics.mean(r["driver_cpu_share_of_machine"] for r in runs), 4
        ),
        "machine_busy_share": round(statistics.mean(r["machine_busy_share"] for r in runs), 3),
        "per_round": [
            {k: r[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "error_count")} for r in runs
        ],
    }
    for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms"):
        out[key] = round(statistics.median(r[key] for r in runs), 2)
    out["cpu_ms_per_request"] = round(
        (cpu["server"] + cpu["postgres_bench"] + cpu["redis"]) * 1000 / max(requests, 1), 3
    )
    return out


# --------------------------------------------------------------------------- one scale


# Tables the scenarios never write: a reused database must hold exactly what was generated
# there (observations only grow: the recording scenario adds a few thousand per run).
_FIXED_TABLES = (
    "patients_patient",
    "patients_admission",
    "builder_program",
    "builder_programitem",
    "builder_exercise",
    "builder_assignment",
)


def generator_version() -> int:
    out = sh([PY, "-c", "from careboard.bench_data.scales import GENERATOR_VERSION as v; print(v)"])
    return int(out.strip())


def psql_value(database: str, query: str) -> str:
    return sh(["psql", f"{PG}/{database}", "-tAc", query], check=False).strip()


def database_exists(database: str) -> bool:
    query = f"SELECT 1 FROM pg_database WHERE datname = '{database}'"  # noqa: S608
    return psql_value("postgres", query) == "1"


def read_meta(database: str) -> dict[str, Any] | None:
    """What the benchmark recorded about a database when its generation finished (in the
    database's comment), or None."""
    if not database_exists(database):
        return None
    query = f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{database}'"  # noqa: S608, E501
    try:
        meta: dict[str, Any] = json.loads(psql_value("postgres", query))
    except ValueError:
        return None
    return meta


def reuse_refusal(database: str, scale: str, meta: dict[str, Any] | None, max_hours: float) -> str:
    """Why the kept database cannot be reused ("" if it can)."""
    if meta is None:
        return "no complete generation recorded"
    version = generator_version()
    if meta.get("generator_version") != version or meta.get("scale") != scale:
        return f"generated by version {meta.get('generator_version')} (now {version})"
    age = (datetime.now(UTC) - datetime.fromisoformat(meta["generated_at"])).total_seconds()
    if age > max_hours * 3600:
        # Admissions and charts are placed relative to the time of generation.
        return f"generated {age / 3600:.1f} h ago (more than {max_hours} h)"
    rows = meta["rows"]
    counts = table_counts(database)
    if not counts:
        return "its tables cannot be counted"
    for table in _FIXED_TABLES:
        if counts[table] != rows.get(table):
            return f"{table} holds {counts[table]:,} rows, {rows.get(table, 0):,} were generated"
    if counts["patients_observation"] < rows.get("patients_observation", 0):
        return "observations were deleted"
    return ""


_COUNTED_TABLES = (
    *_FIXED_TABLES,
    "patients_observation",
    "builder_activitylog",
    "builder_programsession",
    "organizations_organization",
    "users_user",
)


def table_counts(database: str) -> dict[str, int]:
    """Rows of the generated tables ({} when they cannot be counted)."""
    query = " UNION ALL ".join(f"SELECT count(*) FROM {t}" for t in _COUNTED_TABLES)  # noqa: S608
    counts = psql_value(database, query).split()
    if len(counts) != len(_COUNTED_TABLES):
        return {}
    return dict(zip(_COUNTED_TABLES, (int(n) for n in counts), strict=True))


def prepare_database(
    scale: str,
    env: dict[str, str],
    *,
    fresh: bool,
    max_hours: float,
    first_from: str | None = None,
) -> dict[str, Any]:
    """The scale's database, generated unless a kept one from the same generator version
    with the same row counts can be reused (``--fresh`` regenerates regardless).

    ``first_from``: a ready database whose one organisation is this scale's first (the
    hospital's for the region): copied, then the scale's other organisations added to it
    (``generate_data --extend``) instead of generating the first again."""
    database = db_for(scale)
    meta = read_meta(database)
    refusal = "--fresh" if fresh else reuse_refusal(database, scale, meta, max_hours)
    if not refusal and meta is not None:
        log(
            f"REUSING {database}: {scale} data of generator version {meta['generator_version']}, "
            f"generated {meta['generated_at']} in {meta['seconds']} s (pass --fresh to "
            "regenerate); migrating"
        )
        sh([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env)
        return {**meta, "reused": True}
    if meta is not None or database_exists(database):
        log(f"not reusing {database}: {refusal}")
    admin = f"{PG}/postgres"
    sh(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"])
    generated_at = datetime.now(UTC)
    started = time.monotonic()
    extend = []
    if first_from:
        log(f"database {database}: a copy of {first_from}, migrate")
        sh(
            [
                "psql",
                admin,
                "-qc",
                f"CREATE DATABASE {database} TEMPLATE {first_from} STRATEGY FILE_COPY",
            ]
        )  # noqa: E501
        sh(["psql", admin, "-qc", f"COMMENT ON DATABASE {database} IS NULL"])
        extend = ["--extend"]
        generated_at = datetime.fromisoformat(read_meta(first_from)["generated_at"])  # type: ignore[index]
    else:
        log(f"database {database}: drop, create, migrate")
        sh(["psql", admin, "-qc", f"CREATE DATABASE {database}"])
    sh([PY, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    log(f"generate_data --scale {scale} {' '.join(extend)}")
    out = sh(
        [
            PY,
            "manage.py",
            "generate_data",
            "--scale",
            scale,
            "--yes-i-know",
            "--no-progress",
            *extend,
        ],
        env=env,
    )
    took = time.monotonic() - started
    parts: dict[str, float] = {}
    for line in out.splitlines():
        match = re.match(r"\s+(.+): ([\d.]+) s$", line)
        if match:
            parts[match.group(1)] = parts.get(match.group(1), 0.0) + float(match.group(2))
    done = next((x for x in out.splitlines() if x.startswith("Done in")), "")
    log(done)
    counts = table_counts(database)
    meta = {
        "generator_version": generator_version(),
        "scale": scale,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "seconds": round(took, 1),
        "parts_seconds": parts,
        "rows": counts,
        "first_organisation_from": first_from,
    }
    # Recorded only now that the generation is complete: an interrupted one is never reused.
    comment = json.dumps(meta).replace("'", "''")
    sh(["psql", admin, "-qc", f"COMMENT ON DATABASE {database} IS '{comment}'"])
    return {**meta, "reused": False}


def run_scale(
    scale: str,
    args: argparse.Namespace,
    wrk: str,
    env: dict[str, str],
    generated: dict[str, Any],
    *,
    do_import: bool,
) -> dict[str, Any]:
    result: dict[str, Any] = {"scale": scale, "generate": generated}
    fixtures = WORK / f"fixtures-{scale}.json"
    import_file = WORK / "import.csv"
    extra = ["--import-file", str(import_file), "--import-rows", str(args.import_rows)]
    sh([PY, "bench/prepare.py", str(fixtures), *(extra if do_import else [])], env=env)
    fx = json.loads(fixtures.read_text())
    result["fx"] = fx
    result["fixtures"] = {
        "wards": len(fx["wards"]),
        "beds_per_ward": [w["beds"] for w in fx["wards"]][:3],
        "current_admissions": len(fx["admissions"]),
        "long_stays": len(fx["long_stays"]),
        "programs_5x10": len(fx["programs"]),
        "portal_assignments": len(fx["portal_tokens"]),
    }
    logfile = WORK / f"server-{scale}.log"
    server = start_server(env, args.workers, logfile)
    meter = CpuMeter(server.pid)
    scenarios: dict[str, Any] = {}
    try:
        log(f"server up: gunicorn + {args.workers} uvicorn workers on 127.0.0.1:{PORT}")
        # Rounds: every scenario once per round, so that a change in the machine's load
        # (other processes) hits all of them alike; ratios are taken within a round.
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in SCENARIOS}
        for number in range(args.rounds):
            for name in SCENARIOS:
                if number == 0:
                    run_wrk(
                        wrk,
                        name,
                        fx,
                        connections=args.connections,
                        seconds=args.warmup,
                        meter=meter,
                    )
                measured = run_wrk(
                    wrk,
                    name,
                    fx,
                    connections=args.connections,
                    seconds=args.seconds,
                    meter=meter,
                )
                rounds[name].append(measured)
                log(
                    f"round {number + 1}/{args.rounds} {name}: {measured['rps']} req/s, "
                    f"p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms, "
                    f"p99 {measured['p99_ms']} ms, errors {measured['error_count']}, "
                    f"driver CPU {measured['driver_cpu_share_of_busy']:.1%} of busy"
                )
        scenarios = {name: combine(runs) for name, runs in rounds.items()}
        ratios = {
            name: round(
                statistics.median(
                    r["rps"] / f["rps"] for r, f in zip(runs, rounds["floor"], strict=True)
                ),
                3,
            )
            for name, runs in rounds.items()
            if name != "floor"
        }
        floor_cpu = scenarios["floor"]["cpu_ms_per_request"]
        cpu_ratios = {
            name: round(floor_cpu / max(s["cpu_ms_per_request"], 1e-9), 3)
            for name, s in scenarios.items()
            if name != "floor"
        }
        # Server time of the board (one connection, so no queueing in the figure) over its
        # SQL timed in PostgreSQL, measured in alternating pairs (ABBA) so that a change in
        # the machine's speed during the run hits both sides of a pair alike; the ratio is
        # the median of the pairs' ratios.
        run_wrk(wrk, "ward_board", fx, connections=1, seconds=2, meter=meter)
        pairs = []
        for number in range(args.sql_rounds):
            if number % 2 == 0:
                single = run_wrk(
                    wrk, "ward_board", fx, connections=1, seconds=args.seconds, meter=meter
                )
                sql = board_sql(fixtures, env)
            else:
                sql = board_sql(fixtures, env)
                single = run_wrk(
                    wrk, "ward_board", fx, connections=1, seconds=args.seconds, meter=meter
                )
            pairs.append((single, sql))
            log(
                f"pair {number + 1}/{args.sql_rounds}: board at 1 connection p50 "
                f"{single['p50_ms']} ms, its SQL {sql['request_sql_ms']:.2f} ms "
                f"({sql['statements']} statements, board query {sql['board_query_ms']:.2f} ms): "
                f"{single['p50_ms'] / sql['request_sql_ms']:.2f}"
            )
    finally:
        stop_server(server)
    ordered = sorted(pairs, key=lambda pair: pair[0]["p50_ms"] / pair[1]["request_sql_ms"])
    single, sql = ordered[len(ordered) // 2]  # the median pair (an odd number of pairs)
    result["ward_board_single_connection"] = single
    result["ward_board_sql"] = sql
    result["ward_board_raw_sql_pairs"] = [
        {
            "p50_ms": one["p50_ms"],
            "request_sql_ms": round(query["request_sql_ms"], 3),
            "ratio": round(one["p50_ms"] / query["request_sql_ms"], 2),
        }
        for one, query in pairs
    ]
    result["ward_board_raw_sql_ratio"] = round(single["p50_ms"] / sql["request_sql_ms"], 2)
    result["ward_board_query_ratio"] = round(single["p50_ms"] / sql["board_query_ms"], 2)
    # The same with the board's CPU cost per request (app + database + Redis) as its server
    # time: not inflated by waiting for a CPU on a shared machine.
    result["ward_board_raw_sql_ratio_by_cpu"] = round(
        single["cpu_ms_per_request"] / sql["request_sql_ms"], 2
    )
    log(
        f"board server time / raw SQL = {result['ward_board_raw_sql_ratio']} "
        f"(median of {len(pairs)} pairs)"
    )
    result["scenarios"] = scenarios
    result["ratios_to_floor"] = ratios
    # The same ratio from CPU cost: floor CPU per request / scenario CPU per request.
    result["cpu_ratios_to_floor"] = cpu_ratios
    if do_import:
        run_import(result, fx, import_file, args, env)
    return result


def board_sql(fixtures: Path, env: dict[str, str]) -> dict[str, Any]:
    """The board's statements timed in PostgreSQL (``bench/board_sql.py``)."""
    out = sh([PY, "bench/board_sql.py", str(fixtures)], env=env)
    found: dict[str, Any] = json.loads(
        next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))[11:]
    )
    return found


def run_import(
    result: dict[str, Any],
    fx: dict[str, Any],
    import_file: Path,
    args: argparse.Namespace,
    env: dict[str, str],
) -> None:
    """The bulk import, into a copy of the scale's database: it is for real (validation,
    scoring, COPY, history, board refresh), and the kept database must stay as generated."""
    source = env["DATABASE_URL"].rsplit("/", 1)[1]
    clone = f"{DB_NAME}_import"
    admin = f"{PG}/postgres"
    log(f"copying {source} to {clone} for the import")
    sh(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {clone} WITH (FORCE)"])
    # FILE_COPY: a plain copy of the files, much faster than the WAL-logged default.
    sh(["psql", admin, "-qc", f"CREATE DATABASE {clone} TEMPLATE {source} STRATEGY FILE_COPY"])
    env = {**env, "DATABASE_URL": f"{PG}/{clone}"}
    nurse = fx["nurse_email"]
    log(f"import_observations: {args.import_rows} rows")
    import_meter = CpuMeter(None)
    before = import_meter.sample()
    command_cpu = children_cpu()
    out = sh([PY, "manage.py", "import_observations", str(import_file), "--by", nurse], env=env)
    command_cpu = children_cpu() - command_cpu
    import_cpu = cpu_delta(before, import_meter.sample())
    import_cpu["command"] = command_cpu
    match = re.search(r"Imported (\d+) .* in ([\d.]+) s \(([\d,]+) observations/s", out)
    if match:
        result["import"] = {
            "rows": int(match.group(1)),
            "seconds": float(match.group(2)),
            "obs_per_s": int(match.group(3).replace(",", "")),
            "output": out.strip().splitlines()[-1],
            # CPU seconds of the command with its worker processes (the database's backends
            # come and go with the command, so their share is not captured), per observation,
            # and the rate the machine's cores could at most sustain at that cost.
            "cpu_seconds": {k: round(v, 2) for k, v in import_cpu.items()},
        }
        cpu_per_obs = import_cpu["command"] / int(match.group(1))
        result["import"]["cpu_ms_per_obs"] = round(cpu_per_obs * 1000, 4)
        result["import"]["obs_per_s_at_cpu_cost_on_idle_machine"] = int(
            (os.cpu_count() or 1) / max(cpu_per_obs, 1e-9)
        )
        result["import_obs_per_s"] = result["import"]["obs_per_s"]
        log(out.strip().splitlines()[-1])
    import_file.unlink(missing_ok=True)
    sh(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {clone} WITH (FORCE)"])


def measure_scale_ratio(
    runs: dict[str, dict[str, Any]], args: argparse.Namespace, wrk: str
) -> dict[str, Any]:
    """The ward board at one connection on the hospital and the region database side by
    side: a server on each, short alternating runs (ABBA order), so that whatever else the
    machine does hits both alike; ``scale_ratio`` is the median of the per-pair ratios of p50
    (region over hospital)."""
    small, large = runs["hospital"], runs["region"]
    servers = []
    try:
        for offset, run in enumerate((small, large), start=1):
            env = env_for_app(db_for(run["scale"]))
            logfile = WORK / f"server-{run['scale']}-side-by-side.log"
            servers.append(start_server(env, args.workers, logfile, PORT + offset))
        meters = [CpuMeter(server.pid) for server in servers]
        ports = [PORT + 1, PORT + 2]
        log(f"scale ratio: hospital on :{ports[0]}, region on :{ports[1]}, alternating")
        for index, run in enumerate((small, large)):
            run_wrk(
                wrk,
                "ward_board",
                run["fx"],
                connections=1,
                seconds=2,
                meter=meters[index],
                port=ports[index],
            )
        pairs = []
        for number in range(args.scale_rounds):
            order = (0, 1) if number % 2 == 0 else (1, 0)
            p50 = [0.0, 0.0]
            for index in order:
                run = (small, large)[index]
                measured = run_wrk(
                    wrk,
                    "ward_board",
                    run["fx"],
                    connections=1,
                    seconds=args.scale_seconds,
                    meter=meters[index],
                    port=ports[index],
                )
                p50[index] = measured["p50_ms"]
            pairs.append(
                {
                    "hospital_p50_ms": p50[0],
                    "region_p50_ms": p50[1],
                    "ratio": round(p50[1] / p50[0], 3),
                }
            )
            log(
                f"scale round {number + 1}/{args.scale_rounds}: hospital p50 {p50[0]} ms, "
                f"region p50 {p50[1]} ms, ratio {pairs[-1]['ratio']}"
            )
    finally:
        for server in servers:
            stop_server(server)
    return {
        "scale_ratio": round(statistics.median(p["ratio"] for p in pairs), 3),
        "hospital_p50_ms": round(statistics.median(p["hospital_p50_ms"] for p in pairs), 2),
        "region_p50_ms": round(statistics.median(p["region_p50_ms"] for p in pairs), 2),
        "rounds": args.scale_rounds,
        "seconds": args.scale_seconds,
        "pairs": pairs,
    }


# --------------------------------------------------------------------------- report


def machine_info() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    ensure_production_group()
    versions = sh(
        [
            PY,
            "-c",
            "import django, psycopg, rest_framework, uvicorn, gunicorn, sys;"
            "print(sys.version.split()[0], django.__version__, psycopg.__version__,"
            " rest_framework.VERSION, uvicorn.__version__, gunicorn.__version__)",
        ]
    ).split()
    pg = sh(["psql", f"{PG}/postgres", "-tAc", "SHOW server_version"]).strip()
    redis = sh(["redis-cli", "-u", REDIS, "INFO", "server"], check=False)
    redis_version = next(
        (x.split(":")[1].strip() for x in redis.splitlines() if x.startswith("redis_version")), ""
    )
    wrk_version = sh(["wrk", "-v"], check=False).splitlines()[0] if shutil.which("wrk") else ""
    commit = sh(["git", "rev-parse", "--short", "HEAD"], check=False).strip()
    dirty = bool(sh(["git", "status", "--porcelain"], check=False).strip())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "load_average_at_start": os.getloadavg(),
        "python": versions[0],
        "django": versions[1],
        "psycopg": versions[2],
        "djangorestframework": versions[3],
        "uvicorn": versions[4],
        "gunicorn": versions[5],
        "postgresql": pg,
        "redis": redis_version,
        "wrk": wrk_version,
        "commit": commit + ("+dirty" if dirty else ""),
    }


def verdicts(primary: dict[str, Any], results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (_what, share) in SCENARIOS.items():
        if share is not None:
            ratio = primary["ratios_to_floor"][name]
            out[f"{name}_vs_floor"] = {
                "value": ratio,
                "target": f">= {share}",
                "pass": ratio >= share,
            }
    ratio = primary["ward_board_raw_sql_ratio"]
    out["ward_board_raw_sql_ratio"] = {"value": ratio, "target": "<= 5", "pass": ratio <= 5}
    if "scale_ratio" in results:
        value = results["scale_ratio"]
        out["scale_ratio"] = {"value": value, "target": "<= 1.2", "pass": value <= 1.2}
    if "import_obs_per_s" in results:
        value = results["import_obs_per_s"]
        out["import_obs_per_s"] = {"value": value, "target": ">= 20000", "pass": value >= 20000}
    return out


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"# Careboard benchmark {results['started_at']} ({results['mode']})",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; Python {m['python']}, "
        f"Django {m['django']}, PostgreSQL {m['postgresql']}, Redis {m['redis']}, "
        f"gunicorn {m['gunicorn']} + uvicorn {m['uvicorn']} ({results['config']['workers']} "
        f"workers), {m['wrk']}; commit {m['commit']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}.",
        "",
    ]
    for run in results["runs"]:
        g = run["generate"]
        lines += [
            f"## Scale `{run['scale']}`",
            "",
            ("Reused the kept database, generated " if g.get("reused") else "Generated ")
            + f"{g['generated_at']} in {g['seconds']} s: "
            + ", ".join(f"{k} {v:,}" for k, v in g["rows"].items()),
            "",
            f"{results['config']['connections']} connections; {results['config']['rounds']} "
            f"rounds of {results['config']['seconds']} s per scenario (after a "
            f"{results['config']['warmup']} s warm-up); req/s over all rounds, latencies of "
            f"the median round, x floor the median of the per-round ratios.",
            "",
            "| scenario | req/s | × floor | p50 ms | p95 ms | p99 ms | errors | driver CPU "
            "(of busy) | CPU ms/request | × floor by CPU |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, s in run["scenarios"].items():
            ratio = "1" if name == "floor" else f"{run['ratios_to_floor'][name]:.2f}"
            by_cpu = "1" if name == "floor" else f"{run['cpu_ratios_to_floor'][name]:.2f}"
            lines.append(
                f"| {name} | {s['rps']:,.1f} | {ratio} | {s['p50_ms']} | {s['p95_ms']} | "
                f"{s['p99_ms']} | {s['error_count']} | {s['driver_cpu_share_of_busy']:.1%} | "
                f"{s['cpu_ms_per_request']} | {by_cpu} |"
            )
        single, sql = run["ward_board_single_connection"], run["ward_board_sql"]
        lines += [
            "",
            f"Ward board at one connection: p50 {single['p50_ms']} ms; its "
            f"{sql['statements']} SQL statements take {sql['request_sql_ms']:.2f} ms in "
            f"PostgreSQL (the board query {sql['board_query_ms']:.2f} ms; EXPLAIN ANALYZE "
            f"{sql['board_explain_execution_ms']:.2f} ms, sequential scans: "
            f"{len(sql['board_seq_scans'])}): server time / raw SQL = "
            f"**{run['ward_board_raw_sql_ratio']}** (with its CPU cost per request, "
            f"{single['cpu_ms_per_request']} ms, as the server time: "
            f"{run['ward_board_raw_sql_ratio_by_cpu']}). The median of "
            f"{len(run.get('ward_board_raw_sql_pairs', [])) or 1} alternating pairs: "
            + ", ".join(
                f"{p['p50_ms']} / {p['request_sql_ms']} = {p['ratio']}"
                for p in run.get("ward_board_raw_sql_pairs", [])
            )
            + ".",
        ]
        if "import" in run:
            imp = run["import"]
            lines.append(
                f"\nImport: {imp['output']} CPU cost {imp['cpu_ms_per_obs']} ms per "
                f"observation in the command and its worker processes (PostgreSQL's share not "
                f"included): at most {imp['obs_per_s_at_cpu_cost_on_idle_machine']:,}/s on "
                f"{os.cpu_count()} idle cores."
            )
        lines.append("")
    if "scale_comparison" in results:
        c = results["scale_comparison"]
        lines += [
            "## Scale: ward board, region against hospital",
            "",
            f"Two servers side by side, {c['rounds']} alternating runs of {c['seconds']} s "
            "each at one connection: board p50 hospital "
            f"{c['hospital_p50_ms']} ms, region {c['region_p50_ms']} ms; median of the "
            f"per-pair ratios **{c['scale_ratio']}** "
            f"({', '.join(str(p['ratio']) for p in c['pairs'])}).",
            "",
        ]
    lines += ["## Targets", "", "| target | value | wanted | result |", "|---|---:|---|---|"]
    for name, v in results["targets"].items():
        lines.append(
            f"| {name} | {v['value']} | {v['target']} | {'pass' if v['pass'] else '**miss**'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the quick data set (default)")
    mode.add_argument("--full", action="store_true", help="hospital, then region scale")
    parser.add_argument("--scales", help="comma-separated scales (overrides the mode)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    parser.add_argument("--import-rows", type=int, default=None)
    parser.add_argument(
        "--fresh", action="store_true", help="regenerate the data even if a kept database fits"
    )
    parser.add_argument(
        "--reuse-hours",
        type=float,
        default=24,
        help="reuse a kept database generated at most this many hours ago (default 24)",
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="generate (or check) the databases and stop"
    )
    parser.add_argument(
        "--sql-rounds",
        type=int,
        default=3,
        help="pairs of (board at one connection, its SQL) for the raw-SQL ratio (odd)",
    )
    parser.add_argument("--scale-rounds", type=int, default=8)
    parser.add_argument("--scale-seconds", type=int, default=4)
    args = parser.parse_args()
    if args.sql_rounds < 1 or args.sql_rounds % 2 == 0:
        parser.error("--sql-rounds must be odd (the ratio is the median pair's)")
    scales = (
        args.scales.split(",")
        if args.scales
        else ["hospital", "region"]
        if args.full
        else ["quick"]
    )
    args.seconds = args.seconds or (8 if args.full else 5)
    args.import_rows = args.import_rows or (200_000 if args.full else 50_000)
    wrk = ensure_wrk()
    (BENCH / "results").mkdir(exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "mode": "full" if args.full else f"scales {args.scales}" if args.scales else "quick",
        "config": {
            "connections": args.connections,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "workers": args.workers,
            "wrk_threads": 1,
            "import_rows": args.import_rows,
            "settings": "config.settings.production",
        },
        "runs": [],
    }
    # Every database first: a run then measures on data that is all in place.
    generated: dict[str, dict[str, Any]] = {}
    for scale in scales:
        # The region's first organisation is a hospital: start from the hospital's database
        # when it is ready, rather than generating it again.
        first_from = None
        if scale == "region" and not args.fresh:
            hospital = db_for("hospital")
            if not reuse_refusal(hospital, "hospital", read_meta(hospital), args.reuse_hours):
                first_from = hospital
        generated[scale] = prepare_database(
            scale,
            env_for_app(db_for(scale)),
            fresh=args.fresh,
            max_hours=args.reuse_hours,
            first_from=first_from,
        )
    if args.prepare_only:
        log("databases ready: " + ", ".join(db_for(scale) for scale in scales))
        return
    results["machine"] = machine_info()
    runs = {}
    for index, scale in enumerate(scales):
        runs[scale] = run_scale(
            scale, args, wrk, env_for_app(db_for(scale)), generated[scale], do_import=index == 0
        )
    if "hospital" in runs and "region" in runs:
        results["scale_comparison"] = measure_scale_ratio(runs, args, wrk)
        results["scale_ratio"] = results["scale_comparison"]["scale_ratio"]
    for run in runs.values():
        run.pop("fx")  # tokens
        (WORK / f"fixtures-{run['scale']}.json").unlink(missing_ok=True)
    results["runs"] = list(runs.values())
    primary = results["runs"][0]
    results["scale"] = primary["scale"]
    results["scenarios"] = {
        name: {k: s[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms")}
        | {"driver_cpu_share": s["driver_cpu_share_of_busy"], "errors": s["error_count"]}
        for name, s in primary["scenarios"].items()
    }
    results["ratios_to_floor"] = primary["ratios_to_floor"]
    results["cpu_ratios_to_floor"] = primary["cpu_ratios_to_floor"]
    results["ward_board_raw_sql_ratio"] = primary["ward_board_raw_sql_ratio"]
    results["ward_board_raw_sql_ratio_by_cpu"] = primary["ward_board_raw_sql_ratio_by_cpu"]
    if "import_obs_per_s" in primary:
        results["import_obs_per_s"] = max(r.get("import_obs_per_s", 0) for r in results["runs"])
    results["targets"] = verdicts(primary, results)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"]["load_average_at_end"] = os.getloadavg()
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = BENCH / "results" / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    (BENCH / "results" / f"{stamp}.md").write_text(markdown(results))
    print(markdown(results))
    log(f"results: {path} and {path.with_suffix('.md')}")


if __name__ == "__main__":
    main()
