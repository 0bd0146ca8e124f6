"""Writes on accounts and API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from careboard.realtime.publish import access_changed_after_commit
from careboard.users import tokens
from careboard.users.models import ApiToken, User


def api_token_create(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user`` valid for ``days``; returns the row and the secret.

    The secret is returned once and never stored.
    """
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"expires_in_days": f"Must be between 1 and {settings.API_TOKEN_MAX_DAYS} days."}
        )
    secret = tokens.generate_secret()
    token = ApiToken(
        user=user,
        name=name.strip() or "API token",
        prefix=tokens.display_prefix(secret),
        key_hash=tokens.digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        # A websocket opened with this token must not outlive it.
        access_changed_after_commit(token.user_id)
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute, so that authentication does not write every time."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
