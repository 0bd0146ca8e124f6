"""The Celery application: ``celery -A config.celery_app worker`` and ``... beat``.

Its configuration is the Django settings whose names start with ``CELERY_``
(config/settings/base.py: broker, JSON only, time limits, the beat schedule). Tasks live in
each app's ``tasks.py`` and call the app's service functions; they are found by
autodiscovery. Whether the periodic work runs here or inside the app server is
``BACKGROUND_JOBS`` (docs/operations.md, "Background jobs").
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("careboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
