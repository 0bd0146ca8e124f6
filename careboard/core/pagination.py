"""Pagination shared by every list endpoint."""

from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination with a client-chosen page size, capped."""

    page_size_query_param = "page_size"
    max_page_size = 200


class TimeCursorPagination(pagination.CursorPagination):
    """Cursor pagination for long time series (stable under inserts)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    # The stubs' type, so that a subclass may order by several fields (a tuple).
    ordering: str | list[str] | tuple[str, ...] = "-recorded_at"
