"""The PostgreSQL maintenance scripts (compose/production/postgres/maintenance), for real.

They run here, outside Docker, against this machine's PostgreSQL (127.0.0.1:5432, user
postgres, trust authentication; TEST_POSTGRES_HOST/PORT/USER override), on scratch databases
named careboard_maint_<pid>_<n> that are dropped afterwards. Skipped when pg_dump, pg_restore,
psql or the server are missing.

A restore must bring back exactly what was backed up: every table's row count and a checksum
of its content, and the sequences. A missing, corrupt or truncated file must be refused with a
clear message, a non-zero exit and the current database untouched.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MAINTENANCE_DIR = ROOT / "compose" / "production" / "postgres" / "maintenance"

PG_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
PG_PORT = os.environ.get("TEST_POSTGRES_PORT", "5432")
PG_USER = os.environ.get("TEST_POSTGRES_USER", "postgres")
DB_PREFIX = f"careboard_maint_{os.getpid()}_"
BACKUP_NAME = re.compile(r"^backup_\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}\.dump$")

_numbers = itertools.count(1)

SEED = """
CREATE TABLE ward (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE TABLE patient (
    id bigserial PRIMARY KEY,
    ward_id integer NOT NULL REFERENCES ward (id),
    name text NOT NULL,
    born date,
    notes jsonb,
    admitted_at timestamptz NOT NULL DEFAULT '2026-01-01T08:00:00Z'
);
CREATE TABLE observation (
    id bigserial PRIMARY KEY,
    patient_id bigint NOT NULL REFERENCES patient (id) ON DELETE CASCADE,
    recorded_at timestamptz NOT NULL,
    respiration_rate smallint,
    spo2 numeric(4, 1),
    temperature numeric(3, 1),
    news2 smallint
);
CREATE INDEX observation_patient_recorded ON observation (patient_id, recorded_at);
INSERT INTO ward (name) VALUES ('Ward A'), ('Ward B'), ('Station Ü');
INSERT INTO patient (ward_id, name, born, notes) VALUES
    (1, 'Ann O''Neil', '1950-03-01', '{"allergies": ["penicillin"]}'),
    (1, 'Bea, "B" Smith', NULL, NULL),
    (2, 'สมชาย', '1988-12-31', '{"language": "th"}');
-- Enough rows that the table data, not the archive's table of contents, fills the dump.
INSERT INTO observation (patient_id, recorded_at, respiration_rate, spo2, temperature, news2)
SELECT 1 + g % 3,
       timestamptz '2026-11-01T00:00:00Z' + g * interval '15 minutes',
       10 + g % 16,
       88 + g % 12 + (g % 10) / 10.0,
       35 + (g % 50) / 10.0,
       g % 9
  FROM generate_series(1, 20000) AS g;
"""

CHANGES = """
UPDATE patient SET name = 'Changed after the backup', notes = '{}' WHERE id = 1;
DELETE FROM observation WHERE id % 7 = 0;
INSERT INTO ward (name) VALUES ('Ward C');
INSERT INTO observation (patient_id, recorded_at, news2) VALUES (2, now(), 7);
CREATE TABLE added_after_backup (x integer);
INSERT INTO added_after_backup VALUES (1), (2);
"""


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run one of the maintenance scripts or a PostgreSQL tool, capturing text output."""
    executable = argv[0] if os.sep in argv[0] else shutil.which(argv[0])
    assert executable, f"{argv[0]} is not on PATH"
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run([executable, *argv[1:]], check=False, **kwargs)  # noqa: S603


def psql(database: str, sql: str) -> str:
    result = run(
        [
            "psql",
            "--no-psqlrc",
            "--no-password",
            "--quiet",
            "--tuples-only",
            "--no-align",
            "--set=ON_ERROR_STOP=1",
            f"--host={PG_HOST}",
            f"--port={PG_PORT}",
            f"--username={PG_USER}",
            f"--dbname={database}",
        ],
        input=sql,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def snapshot(database: str) -> dict[str, tuple[str, ...]]:
    """Row count and content checksum of every table, and every sequence's position."""
    tables = psql(
        database,
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name;",
    ).splitlines()
    state: dict[str, tuple[str, ...]] = {}
    for table in tables:
        source = f"public.{quote_ident(table)}"
        checksum = "md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
        row = psql(database, f"SELECT count(*), {checksum} FROM {source} AS t;")  # noqa: S608
        state[f"table {table}"] = tuple(row.split("|"))
    sequences = psql(
        database,
        "SELECT sequencename, coalesce(last_value::text, 'unused') FROM pg_sequences"
        " WHERE schemaname = 'public' ORDER BY sequencename;",
    )
    for line in sequences.splitlines():
        name, value = line.split("|")
        state[f"sequence {name}"] = (value,)
    return state


def databases() -> set[str]:
    # DB_PREFIX is letters, digits and underscores only.
    sql = f"SELECT datname FROM pg_database WHERE starts_with(datname, '{DB_PREFIX}');"  # noqa: S608
    rows = psql("postgres", sql)
    return set(rows.splitlines())


def maintenance(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([str(MAINTENANCE_DIR / script), *args], env=env)


@pytest.fixture(scope="module")
def postgres_server() -> None:
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    probe = run(
        [
            "psql",
            "--no-psqlrc",
            "--no-password",
            "--tuples-only",
            "--no-align",
            "--command=SHOW server_version_num",
        ],
        env={
            **os.environ,
            "PGHOST": PG_HOST,
            "PGPORT": PG_PORT,
            "PGUSER": PG_USER,
            "PGDATABASE": "postgres",
            "PGCONNECT_TIMEOUT": "3",
        },
        timeout=10,
    )
    if probe.returncode != 0:
        pytest.skip(f"no PostgreSQL at {PG_HOST}:{PG_PORT}: {probe.stderr.strip()}")
    # pg_dump refuses a server newer than itself; that is this machine's set-up, not a bug.
    server_major = int(probe.stdout.strip()) // 10000
    client = re.search(r"(\d+)", run(["pg_dump", "--version"]).stdout)
    if client is None or int(client.group(1)) < server_major:
        pytest.skip(f"pg_dump is older than the PostgreSQL {server_major} server")


@pytest.fixture
def scratch_db(postgres_server):
    """A new database with a few tables and rows; it and everything named after it is dropped."""
    name = f"{DB_PREFIX}{next(_numbers)}"
    psql("postgres", f"CREATE DATABASE {quote_ident(name)};")
    psql(name, SEED)
    yield name
    for leftover in sorted(d for d in databases() if d == name or d.startswith(f"{name}_")):
        psql("postgres", f"DROP DATABASE IF EXISTS {quote_ident(leftover)} WITH (FORCE);")


@pytest.fixture
def env(scratch_db, tmp_path) -> dict[str, str]:
    """The environment the scripts get in the container: POSTGRES_* and BACKUP_DIR only."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POSTGRES_", "PG")) and key not in {"DATABASE_URL", "BACKUP_DIR"}
    }
    return {
        **clean,
        "POSTGRES_HOST": PG_HOST,
        "POSTGRES_PORT": PG_PORT,
        "POSTGRES_USER": PG_USER,
        "POSTGRES_PASSWORD": "",
        "POSTGRES_DB": scratch_db,
        "BACKUP_DIR": str(tmp_path / "backups"),
    }


@pytest.fixture
def backup(env, scratch_db) -> tuple[Path, dict[str, tuple[str, ...]]]:
    """A backup of the scratch database, and the database's content when it was taken."""
    before = snapshot(scratch_db)
    result = maintenance("backup", env=env)
    assert result.returncode == 0, result.stderr
    files = list(Path(env["BACKUP_DIR"]).iterdir())
    assert len(files) == 1, files
    return files[0], before


def test_backup_writes_one_timestamped_custom_format_dump(env, backup):
    path, _ = backup
    assert BACKUP_NAME.match(path.name), path.name
    assert path.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert not list(path.parent.glob(".*")), "a temporary file was left behind"


def test_backups_lists_the_backups_newest_first(env, backup):
    path, _ = backup
    older = path.with_name("backup_2020_01_01T00_00_00.dump")
    older.write_bytes(path.read_bytes())
    result = maintenance("backups", env=env)
    assert result.returncode == 0, result.stderr
    assert path.name in result.stdout
    assert result.stdout.index(path.name) < result.stdout.index(older.name)


def test_restore_brings_back_exactly_the_backed_up_content(env, scratch_db, backup):
    import psycopg

    path, at_backup = backup
    psql(scratch_db, CHANGES)
    assert snapshot(scratch_db) != at_backup
    # An app connection still open on the database: the swap must end it, not wait for it.
    app_connection = psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=scratch_db, autocommit=True
    )
    try:
        result = maintenance("restore", path.name, env=env)
    finally:
        app_connection.close()

    assert result.returncode == 0, result.stderr
    assert "restored" in result.stdout
    assert snapshot(scratch_db) == at_backup
    assert "table added_after_backup" not in snapshot(scratch_db)
    assert databases() == {scratch_db}, "temporary or previous databases were left behind"
    # The sequences continue after the restored rows.
    assert psql(scratch_db, "INSERT INTO ward (name) VALUES ('Ward D') RETURNING id;") == "4"


def test_restore_from_a_path_can_keep_the_previous_content(env, scratch_db, backup):
    path, at_backup = backup
    psql(scratch_db, CHANGES)
    changed = snapshot(scratch_db)
    result = maintenance("restore", str(path), env={**env, "RESTORE_KEEP_PREVIOUS": "1"})
    assert result.returncode == 0, result.stderr
    assert snapshot(scratch_db) == at_backup
    (previous,) = databases() - {scratch_db}
    assert previous.startswith(f"{scratch_db}_old_")
    assert previous in result.stdout
    assert snapshot(previous) == changed


def test_restore_recreates_a_dropped_database(env, scratch_db, backup):
    path, at_backup = backup
    psql("postgres", f"DROP DATABASE {quote_ident(scratch_db)};")
    result = maintenance("restore", path.name, env=env)
    assert result.returncode == 0, result.stderr
    assert snapshot(scratch_db) == at_backup


def assert_refused_and_unchanged(result, scratch_db, before, message):
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert f"The database '{scratch_db}' was not changed." in result.stderr
    assert snapshot(scratch_db) == before
    assert databases() == {scratch_db}, "a temporary database was left behind"


def test_restore_refuses_a_missing_or_corrupt_file(env, scratch_db, backup):
    psql(scratch_db, CHANGES)
    before = snapshot(scratch_db)

    result = maintenance("restore", "backup_1999_01_01T00_00_00.dump", env=env)
    assert_refused_and_unchanged(result, scratch_db, before, "not found")
    assert "backup_1999_01_01T00_00_00.dump" in result.stderr

    corrupt = Path(env["BACKUP_DIR"]) / "backup_2026_01_01T00_00_00.dump"
    corrupt.write_bytes(os.urandom(64 * 1024))
    result = maintenance("restore", corrupt.name, env=env)
    assert_refused_and_unchanged(
        result, scratch_db, before, "is corrupt or not a pg_dump custom-format archive"
    )


def test_restore_of_a_truncated_backup_leaves_the_database_alone(env, scratch_db, backup):
    path, _ = backup
    psql(scratch_db, CHANGES)
    before = snapshot(scratch_db)
    truncated = path.with_name("backup_2026_01_01T00_00_01.dump")
    data = path.read_bytes()
    truncated.write_bytes(data[: len(data) * 8 // 10])
    # Its table of contents is intact, so the damage only shows while restoring the data:
    # into the temporary database, which is dropped.
    assert run(["pg_restore", "--list", str(truncated)]).returncode == 0
    result = maintenance("restore", truncated.name, env=env)
    assert_refused_and_unchanged(result, scratch_db, before, "pg_restore failed")


def test_scripts_name_the_missing_settings(env):
    incomplete = {key: value for key, value in env.items() if key != "POSTGRES_DB"}
    for script, args in (("backup", ()), ("restore", ("backup_x.dump",))):
        result = maintenance(script, *args, env=incomplete)
        assert result.returncode != 0
        assert "POSTGRES_DB" in result.stderr, result.stderr
    no_folder = {**env, "BACKUP_DIR": str(Path(env["BACKUP_DIR"]) / "missing")}
    result = maintenance("backups", env=no_folder)
    assert result.returncode != 0
    assert "does not exist" in result.stderr
