"""Cross-cutting records: the replay store of idempotent requests."""

from __future__ import annotations

from django.db import models


class IdempotentRequest(models.Model):
    """The first answer to a create sent with an ``Idempotency-Key``.

    Stored in the same transaction as the write it answers: either both exist or neither
    does, so a request cut off by a crash is simply run again on retry.
    """

    # Who sent it ("user:<id>"), so one client's keys never collide with another's.
    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    body_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotent_request_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
