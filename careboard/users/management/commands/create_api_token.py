from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careboard.users.models import User
from careboard.users.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--days", type=int, default=None, help="validity in days")
        parser.add_argument("--name", default="command line", help="a label for the token")

    def handle(self, *args: Any, email: str, days: int | None, name: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the e-mail address {email}.")
        try:
            token, secret = api_token_create(user=user, name=name, days=days)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(secret)
        self.stderr.write(
            f"Token {token.prefix}… for {user.email}, expires {token.expires_at:%Y-%m-%d}."
        )
