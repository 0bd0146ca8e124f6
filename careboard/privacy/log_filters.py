"""Logging filters that keep personal data out of logs (imported by the logging config:
keep this module free of Django)."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?\S*")


class QueryStringFilter(logging.Filter):
    """Drops the query string from the request line the development server logs
    (``"GET /api/v1/patients/?search=Miller HTTP/1.1" 404 …``): a search may be a name."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (_QUERY.sub("", record.args[0]), *record.args[1:])
        return True
