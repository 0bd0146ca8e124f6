"""ASGI entry point: HTTP through Django, websockets through Channels, and the in-process
overdue sweep on the server's lifespan.

Websocket routes live in ``careboard/realtime/routing.py``.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Django must be set up before anything imports models (the consumers do); this is what
# get_asgi_application does, with Django's handler reusing request threads.
django.setup(set_prefix=False)

from config.asgi_handler import ReusedThreadASGIHandler  # noqa: E402

django_asgi_app = ReusedThreadASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.lifespan import OverdueSweepLifespan  # noqa: E402
from config.websocket import (  # noqa: E402
    OriginValidator,
    TokenOrSessionAuthMiddleware,
    websocket_urlpatterns,
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginValidator(
            TokenOrSessionAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
        "lifespan": OverdueSweepLifespan(),
    }
)
