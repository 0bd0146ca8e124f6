"""API token secrets: generation and digest (no Django imports)."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "cbt_"  # noqa: S105  (a public marker, not a secret)
_PREFIX_SHOWN = 10


def generate_secret() -> str:
    """A new token secret: a recognisable prefix (for secret scanners) and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 of the secret. Tokens are random and long, so a fast hash is safe here."""
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    return secret[:_PREFIX_SHOWN]
