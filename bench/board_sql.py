"""The ward board's SQL, timed in PostgreSQL itself.

    python bench/board_sql.py FIXTURES.json [--repeat 200]

Sends one board request through Django's test client (the production settings, the same
token as the load driver) with the queries captured, then replays every captured
statement on a plain psycopg connection ``--repeat`` times and prints, as one JSON line:
the median time of each statement and their sum (``request_sql_ms``: everything the
request asks the database), the board query's alone (``board_query_ms``), and
``EXPLAIN (ANALYZE, BUFFERS)`` of the board query with whether it scans a table.
"""

# ruff: noqa: T201  (command-line scripts print their results)
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("fixtures")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    fixtures = json.loads(Path(args.fixtures).read_text())
    ward = fixtures["wards"][0]["id"]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {fixtures['nurse_token']}", SERVER_NAME="127.0.0.1")
    client.get(f"/api/v1/wards/{ward}/board/")  # warm caches and connections
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/wards/{ward}/board/")
    assert response.status_code == 200, response.content[:300]  # noqa: S101
    statements = [q["sql"] for q in captured.captured_queries]
    board = next(
        s for s in statements if "latest_observation_id" in s and "patients_admission" in s
    )
    db = settings.DATABASES["default"]
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=str(db.get("PORT") or "") or None,
    )
    medians = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for sql in statements:
            if sql.upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
                continue
            read_only = sql.lstrip().upper().startswith("SELECT")
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                if read_only:
                    conn.execute(sql).fetchall()
                else:
                    # A write (the access log's INSERT): timed, then undone.
                    with conn.transaction(force_rollback=True):
                        conn.execute(sql)
                times.append((time.perf_counter() - started) * 1000)
            medians.append({"sql": sql[:200], "ms": statistics.median(times)})
        explained = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {board}").fetchone()
        if explained is None:  # EXPLAIN always answers one row
            raise RuntimeError("EXPLAIN returned no plan")
        plan = explained[0][0]
        text = "\n".join(
            r[0] for r in conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {board}").fetchall()
        )
        board_times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            conn.execute(board).fetchall()
            board_times.append((time.perf_counter() - started) * 1000)
    print(
        "BENCH_JSON "
        + json.dumps(
            {
                "statements": len(statements),
                "request_sql_ms": sum(m["ms"] for m in medians),
                "board_query_ms": statistics.median(board_times),
                "board_explain_execution_ms": plan["Execution Time"],
                "board_explain_planning_ms": plan["Planning Time"],
                "board_seq_scans": [
                    line.strip() for line in text.splitlines() if "Seq Scan" in line
                ],
                "board_plan": text,
                "per_statement": medians,
            }
        )
    )


if __name__ == "__main__":
    main()
