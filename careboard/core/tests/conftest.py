"""The ``schemathesis`` marker, the counts the CI log shows for the authorization matrix and
the schemathesis run, and the private PostgreSQL and Redis servers of the tests that run the
app as real processes (``test_faults.py``, ``test_two_instances.py``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from careboard.core.tests.processes import PostgresCluster, RedisServer

MATRIX_TEST = "test_authorization_matrix.py::test_authorization["
SCHEMATHESIS_TEST = "test_schemathesis.py::test_api"

# nodeid → "passed" / "failed" / "skipped", of the matrix cells and schemathesis
# operations that ran.
_matrix_outcomes: dict[str, str] = {}
_schemathesis_outcomes: dict[str, str] = {}
# Filled by test_schemathesis.py: operations and examples per caller.
schemathesis_tally: dict[str, Counter[str]] = {}


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster for one test module, removed with its databases after it
    (the tests stop and start it; the machine's own server is never touched)."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A private Redis server for one test module, removed after it."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "schemathesis: property-based tests of every operation of /api/schema/ "
        "(select with -m schemathesis)",
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if MATRIX_TEST in report.nodeid:
        outcomes, key = _matrix_outcomes, report.nodeid
    elif report.nodeid.endswith(SCHEMATHESIS_TEST):
        # Schemathesis gives every operation the same node id; its name says which.
        outcomes, key = _schemathesis_outcomes, report.location[2]
    else:
        return
    # A failed setup or teardown counts; a failure is never turned back into a pass.
    if (report.when == "call" or report.outcome != "passed") and outcomes.get(key) != "failed":
        outcomes[key] = report.outcome


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _matrix_outcomes:
        cells = [nodeid.split("[", 1)[1].rstrip("]").split("|") for nodeid in _matrix_outcomes]
        routes = {route for route, *_rest in cells}
        pairs = {(route, method) for route, method, *_rest in cells}
        roles = {role for _route, _method, role, _scope in cells}
        outcomes = Counter(_matrix_outcomes.values())
        terminalreporter.write_line(
            f"authorization matrix: {len(cells)} cells ({len(routes)} routes, {len(pairs)} "
            f"route methods × {len(roles)} callers × own/other organisation), "
            f"{outcomes['failed']} failures"
        )
    if _schemathesis_outcomes:
        callers = ", ".join(
            f"{caller}: {tally['operations']} operations, {tally['examples']} examples"
            for caller, tally in schemathesis_tally.items()
        )
        total = Counter[str]()
        for tally in schemathesis_tally.values():
            total.update(tally)
        failed = Counter(_schemathesis_outcomes.values())["failed"]
        terminalreporter.write_line(
            f"schemathesis: {len(_schemathesis_outcomes)} operations tested, "
            f"{total['examples']} examples, {failed} failures ({callers})"
        )
