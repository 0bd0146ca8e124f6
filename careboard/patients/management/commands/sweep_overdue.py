"""`manage.py sweep_overdue [--loop SECONDS]`: alert the admissions that became overdue.

The app sweeps on its own: in-process on the ASGI lifespan (``BACKGROUND_JOBS=inprocess``)
or from Celery beat (``celery``). This command is for a one-off sweep or a setup with another
scheduler (cron, a systemd timer); several sweeps may run at once without alerting twice.
``--loop`` keeps this process sweeping every SECONDS.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from careboard.patients.overdue import sweep_overdue

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send one alert.overdue event per admission whose next observation became overdue "
        "and print how many. Production runs it every minute from a worker; --loop SECONDS "
        "keeps sweeping in this process where there is no scheduler."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            default=None,
            help="sweep again every SECONDS until interrupted",
        )

    def handle(self, *args: Any, loop: float | None, **options: Any) -> None:
        if loop is not None and loop <= 0:
            raise CommandError("--loop needs a positive number of seconds.")
        if isinstance(get_channel_layer(), InMemoryChannelLayer):
            # The in-memory layer lives inside one process: the web server's websockets
            # never see what this process publishes. The board still shows who is overdue.
            self.stderr.write(
                "The channel layer is in-memory: alerts from this process reach no websocket "
                "client. Set REDIS_URL to deliver them."
            )
        if loop is None:
            self.stdout.write(str(sweep_overdue()))
            return
        try:
            while True:
                self._sweep_once()
                time.sleep(loop)
        except KeyboardInterrupt:
            return

    def _sweep_once(self) -> None:
        # As a worker would between tasks: drop a connection the database has closed.
        close_old_connections()
        try:
            self.stdout.write(str(sweep_overdue()))
        except Exception:
            # A database restart must not end the loop; the next sweep catches up.
            logger.exception("overdue sweep failed")
