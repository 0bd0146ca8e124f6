from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careboard.bench_data.generate import (
    Generator,
    RefusedError,
    delete_generated,
    generated_organizations,
)
from careboard.bench_data.scales import SCALES


class Command(BaseCommand):
    help = (
        "Generate realistic data for benchmarks: tiny (tests), quick (make bench), hospital "
        "(1 organisation, 20 wards x 30 beds, 20,000 past admissions, 1,000,000 observations, "
        "300 exercises, 2,000 programs, 5,000 assignments, 200,000 activity logs) or region "
        "(10 such organisations). See bench/README.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
        parser.add_argument(
            "--reset", action="store_true", help="delete earlier generated data first"
        )
        parser.add_argument("--seed", type=int, default=8, help="random seed (default 8)")
        parser.add_argument(
            "--yes-i-know",
            action="store_true",
            help="allow running with production settings (on a benchmark database)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--extend",
            action="store_true",
            help="add the organisations after the first to a database holding only the first "
            "(the region from a copy of the hospital's database; bench/run.py does this)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        module = getattr(settings, "SETTINGS_MODULE", "") or ""
        if module.endswith("production") and not options["yes_i_know"]:
            raise CommandError(
                "Refusing to generate data with production settings; pass --yes-i-know if "
                "this is a benchmark database."
            )
        if generated_organizations() and not options["extend"]:
            if not options["reset"]:
                raise CommandError(
                    "The database already holds generated data; pass --reset to replace it."
                )
            delete_generated(log=self.stdout.write)
        scale = SCALES[options["scale"]]
        self.stdout.write(f"Generating the {scale.name} data set ({scale})")
        generator = Generator(
            scale,
            seed=options["seed"],
            # OutputWrapper is an io.TextIOBase, not a typing.TextIO; Generator only writes
            # to it (its parameters become a write protocol when bench_data is typed).
            out=self.stdout,  # type: ignore[arg-type]
            err=self.stderr,  # type: ignore[arg-type]
            progress=not options["no_progress"],
        )
        try:
            generator.run(extend=options["extend"])
        except RefusedError as exc:
            raise CommandError(str(exc)) from exc
