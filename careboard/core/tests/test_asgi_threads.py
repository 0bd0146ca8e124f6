"""The ASGI handler lends each request an idle thread kept from earlier requests, instead
of starting one per request, and never lends a thread that is still busy."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.db import transaction
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from config.asgi_handler import RequestThread, ReusedThreadASGIHandler

seen_threads: list[tuple[str, int]] = []
release = threading.Event()


# No transaction: on SQLite, two requests' transactions would lock each other out.
@transaction.non_atomic_requests
def where(request):
    seen_threads.append((threading.current_thread().name, threading.get_ident()))
    return HttpResponse("ok")


@transaction.non_atomic_requests
def slow(request):
    seen_threads.append((threading.current_thread().name, threading.get_ident()))
    release.wait(5)
    return HttpResponse("late")


urlpatterns = [path("where", where), path("slow", slow)]


def _scope(path_: str) -> dict[str, object]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path_,
        "raw_path": path_.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def _get(handler, path_: str) -> bytes:
    communicator = ApplicationCommunicator(handler, _scope(path_))
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(5)
    assert start["status"] == 200
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    content: bytes = body["body"]
    return content


@override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"])
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_sequential_requests_run_on_the_same_kept_thread():
    handler = ReusedThreadASGIHandler()
    seen_threads.clear()

    for _ in range(3):
        assert await _get(handler, "/where") == b"ok"

    assert len(seen_threads) == 3
    assert len(set(seen_threads)) == 1
    assert seen_threads[0][0].startswith("django-request")
    assert len(handler._idle) == 1


@override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"])
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_concurrent_requests_each_have_their_own_thread():
    handler = ReusedThreadASGIHandler()
    seen_threads.clear()
    release.clear()

    slow_request = asyncio.ensure_future(_get(handler, "/slow"))
    while not seen_threads:
        await asyncio.sleep(0.01)
    # The first request holds its thread: the second gets another one.
    assert await _get(handler, "/where") == b"ok"
    release.set()
    assert await slow_request == b"late"

    assert len(set(seen_threads)) == 2
    assert len(handler._idle) == 2


def test_a_busy_executor_is_not_idle():
    executor = RequestThread()
    gate = threading.Event()
    future = executor.submit(gate.wait, 5)
    before = executor.idle
    gate.set()
    future.result(5)
    assert (before, executor.idle) == (False, True)
    executor.shutdown()


def test_the_application_serves_http_with_this_handler():
    from config import asgi

    assert isinstance(asgi.django_asgi_app, ReusedThreadASGIHandler)
