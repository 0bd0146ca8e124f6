from __future__ import annotations

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """Websocket consumers and event publishing (Channels)."""

    name = "careboard.realtime"
    label = "realtime"
