"""Where one scenario's time goes: its requests through Django in this process.

    python bench/profile_scenario.py FIXTURES.json SCENARIO [-n 200] [--cprofile] [--sort tottime]

FIXTURES.json is what ``bench/prepare.py`` writes; run with the benchmark's environment
(production settings, ``DATABASE_URL`` of a benchmark database, ``REDIS_URL``). Prints the
queries of one request, then the wall and CPU milliseconds per request over ``-n`` requests
(after a warm-up), and with ``--cprofile`` the functions by CPU time (``cProfile`` timed by
``time.process_time``: waiting for PostgreSQL or Redis is left out). Django's test client
skips the ASGI server, so the figures are the application's share of a request.
"""

# ruff: noqa: T201  (command-line scripts print their results)
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.run import request_lines  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("fixtures")
    parser.add_argument("scenario")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=50)
    args = parser.parse_args()
    lines = request_lines(args.scenario, json.loads(Path(args.fixtures).read_text()))
    client = Client()

    def one(i: int) -> None:
        method, path, auth, body = lines[i % len(lines)].split("\t")
        if method == "GET":
            response = client.get(path, HTTP_AUTHORIZATION=auth)
        else:
            response = client.post(
                path, data=body, content_type="application/json", HTTP_AUTHORIZATION=auth
            )
        if response.status_code >= 300:
            raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")

    for i in range(20):
        one(i)
    with CaptureQueriesContext(connection) as queries:
        one(0)
    print(f"{len(queries)} queries:")
    for query in queries.captured_queries:
        print(f"  {query['time']} s  {query['sql'][:150]}")
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(args.n):
        one(i)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{wall / args.n * 1000:.2f} ms wall, {cpu / args.n * 1000:.2f} ms CPU per request")
    if args.cprofile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for i in range(args.n):
            one(i)
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
