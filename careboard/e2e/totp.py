"""Time-based one-time passwords (RFC 6238 over RFC 4226), as an authenticator app makes them.

allauth's defaults: SHA-1, 6 digits, a 30-second step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

PERIOD = 30
DIGITS = 6


def totp(secret: str, *, at: float | None = None) -> str:
    """The code for the base32 ``secret`` at the Unix time ``at`` (default: now)."""
    counter = int((time.time() if at is None else at) // PERIOD)
    key = base64.b32decode(secret.replace(" ", "").upper())
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def fresh_totp(secret: str, *, margin: float = 4) -> str:
    """A code that stays valid for at least ``margin`` seconds.

    The server accepts only the current step: a code typed in the last moment of its step may
    arrive in the next one, so wait for the next step instead.
    """
    left = PERIOD - time.time() % PERIOD
    if left < margin:
        time.sleep(left + 0.1)
    return totp(secret)
