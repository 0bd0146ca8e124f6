from __future__ import annotations

from django.urls import path

from careboard.realtime.consumers import BoardConsumer

websocket_urlpatterns = [path("ws/", BoardConsumer.as_asgi())]
