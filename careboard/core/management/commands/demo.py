from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from careboard.builder.demo import load_demo_library
from careboard.builder.demo_assignments import load_demo_assignments
from careboard.organizations.demo import demo_logins, load_demo_organizations
from careboard.patients.demo import load_demo_patients


class Command(BaseCommand):
    help = "Load the demo organisations, personas and data (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--print-logins", action="store_true", help="only print the demo logins"
        )
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="the address printed with the logins"
        )

    def handle(self, *args: Any, print_logins: bool = False, url: str = "", **options: Any) -> None:
        if not print_logins:
            orgs = load_demo_organizations()
            patients = load_demo_patients()
            load_demo_library()
            load_demo_assignments()
            added = f" ({patients} demo patients added)" if patients else ""
            self.stdout.write(f"Demo data ready: {', '.join(o.name for o in orgs)}{added}.")
            return
        self.stdout.write("")
        self.stdout.write(f"Careboard demo logins (password for all: {settings.DEMO_PASSWORD})")
        for org, role, email in demo_logins():
            self.stdout.write(f"  {org:<15} {role:<10} {email}")
        self.stdout.write(f"Open {url or 'http://127.0.0.1:8000/'} and sign in.")
        self.stdout.write("")
