"""Writing the access log: one row per read, in one INSERT.

Views call ``record`` for a read of one patient (or of a ward's board) and ``record_patients``
for a read that returns several patients: one row per patient, written with one bulk INSERT,
so that "who has seen this patient" includes lists and searches that showed them. Nothing
of the request itself is kept (no URL, no query string: a search may be a name).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from careboard.core.prepared import PreparedInsert
from careboard.core.request_context import current_request_id
from careboard.privacy.models import AccessLog


def client_ip(request: Any) -> str | None:
    """The caller's address: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXY`` reverse proxies,
    the address the outermost of them saw (each appends its peer to ``X-Forwarded-For``;
    entries further left were written by the client and prove nothing)."""
    meta = request.META
    address = meta.get("REMOTE_ADDR") or ""
    hops = settings.TRUSTED_PROXY
    if hops > 0:
        forwarded = [
            part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _row(
    request: Any,
    *,
    action: str,
    organization_id: uuid.UUID,
    patient_id: uuid.UUID | None = None,
    ward_id: uuid.UUID | None = None,
    count: int | None = None,
    ip: str | None,
) -> AccessLog:
    return AccessLog(
        organization_id=organization_id,
        user_id=request.user.pk,
        action=action,
        patient_id=patient_id,
        ward_id=ward_id,
        count=count,
        ip=ip,
        request_id=current_request_id()[:64],
    )


def record(
    request: Any,
    *,
    action: str,
    organization_id: uuid.UUID,
    patient_id: uuid.UUID | None = None,
    ward_id: uuid.UUID | None = None,
    count: int | None = None,
) -> None:
    """Log one read by the request's user: one INSERT."""
    _INSERT.insert(
        _row(
            request,
            action=action,
            organization_id=organization_id,
            patient_id=patient_id,
            ward_id=ward_id,
            count=count,
            ip=client_ip(request),
        )
    )


# Written by every read of a patient record: the INSERT built once (careboard.core.prepared).
_INSERT = PreparedInsert(AccessLog)


def record_patients(
    request: Any,
    *,
    action: str,
    reads: Iterable[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]],
) -> None:
    """Log a read that returned several patients: ``reads`` holds ``(organization_id,
    patient_id, ward_id or None)`` per patient shown. One bulk INSERT; none when empty."""
    ip = client_ip(request)
    rows = [
        _row(
            request,
            action=action,
            organization_id=organization_id,
            patient_id=patient_id,
            ward_id=ward_id,
            ip=ip,
        )
        for organization_id, patient_id, ward_id in dict.fromkeys(reads)
    ]
    if rows:
        AccessLog.objects.bulk_create(rows)
