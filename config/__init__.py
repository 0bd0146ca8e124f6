"""Careboard's Django project: settings, URLs, ASGI and the Celery application."""

from __future__ import annotations

# Loaded with Django, so that tasks sent from the app (an export job) use this application
# and its broker, not Celery's unconfigured default.
from config.celery_app import app as celery_app

__all__ = ["celery_app"]
