"""Generate a city-scale synthetic data set (dossiers, reports and what the indicators read) with COPY.

    manage.py generate_city_data --dossiers 1000000 --reports 200000 [--days 730] [--seed 1] [--batch 50000]

For benchmarks and demos only: refused unless DEMO_ENABLED is on or `--allow`
is given, and refused on SQLite (COPY is PostgreSQL's). The logic is in
`govportal.dashboard.synthetic`.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from govportal.dashboard import synthetic


class Command(BaseCommand):
    help = (
        "Generate synthetic dossiers and 1022 reports for every active unit over the last --days days, "
        "written with PostgreSQL COPY, then recount the dashboards' aggregates. Demo and benchmark databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, default=1_000_000, help="dossiers to add (default 1,000,000)")
        parser.add_argument("--reports", type=int, default=200_000, help="reports to add (default 200,000)")
        parser.add_argument("--days", type=int, default=730, help="filing days spread over, up to today")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
        parser.add_argument("--batch", type=int, default=50_000, help="rows per COPY batch")
        parser.add_argument("--users", type=int, help="synthetic citizens (default: dossiers / 300, 50 to 3000)")
        parser.add_argument(
            "--replace", action="store_true", help="delete the previous synthetic rows first (otherwise: add)"
        )
        parser.add_argument("--no-rebuild", action="store_true", help="skip the aggregates' recount at the end")
        parser.add_argument(
            "--allow", action="store_true", help="run although DEMO_ENABLED is off (never on a production database)"
        )

    def handle(self, *args, **options):
        if not settings.DEMO_ENABLED and not options["allow"]:
            raise CommandError(
                "Refused: DEMO_ENABLED is off, so this may be a production database. "
                "Synthetic cases are for demo and benchmark databases; pass --allow if this one is."
            )
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_city_data writes with PostgreSQL COPY: point DATABASE_URL at PostgreSQL "
                f"(this database is {connection.vendor})."
            )
        for name in ("dossiers", "reports", "users"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name} cannot be negative.")
        if options["days"] < 1 or options["batch"] < 1:
            raise CommandError("--days and --batch must be at least 1.")
        started = time.monotonic()
        try:
            totals = synthetic.generate(
                dossiers=options["dossiers"],
                reports=options["reports"],
                days=options["days"],
                seed=options["seed"],
                batch=options["batch"],
                users=options["users"],
                replace=options["replace"],
                rebuild=not options["no_rebuild"],
                log=self.stdout.write if options["verbosity"] > 1 else None,
            )
        except synthetic.SyntheticError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Added {totals.dossiers:,} dossiers ({totals.events:,} fee events, {totals.payments:,} payments, "
            f"{totals.documents:,} files) and {totals.reports:,} reports."
        )
        self.stdout.write("Dossier statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(totals.statuses.items())))
        self.stdout.write(
            "Report statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(totals.report_statuses.items()))
        )
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in totals.seconds.items())
        self.stdout.write(f"Timings: {phases}; total {time.monotonic() - started:.1f} s.")
