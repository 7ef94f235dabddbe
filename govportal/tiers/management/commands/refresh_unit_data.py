"""Regenerate govportal/tiers/data/hcmc_units.json from vietnam-provinces.

The package (GPL-3.0) is needed only here, never at run time:
``pip install vietnam-provinces`` (or the project's ``data`` extra), run this,
review the diff of the JSON file and commit it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from govportal.tiers.unit_data import EXPECTED_KIND_COUNTS, HCMC_UNITS_FILE


class Command(BaseCommand):
    help = (
        "Regenerate the shipped list of Ho Chi Minh City's commune-level units from an installed "
        "vietnam-provinces package. Refuses to write unless there are 113 wards, 54 communes and "
        "1 special zone (override with --force)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Write the file even if the counts per kind are not 113/54/1."
        )
        parser.add_argument("--output", default=str(HCMC_UNITS_FILE), help="File to write (default: %(default)s).")
        parser.add_argument(
            "--retrieved", default=None, metavar="YYYY-MM-DD", help="Retrieval date to record (default: today)."
        )

    def handle(self, *args, **options):
        from govportal.tiers.unit_data_refresh import (
            PackageMissing,
            extract_hcmc_units,
            kind_counts,
            write_hcmc_units,
        )

        try:
            document = extract_hcmc_units(retrieved=options["retrieved"])
        except PackageMissing as exc:
            raise CommandError(
                "vietnam-provinces is not installed; it is needed only to refresh the data file: "
                f"pip install vietnam-provinces ({exc})"
            ) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        counts = kind_counts(document)
        for kind, count in counts.items():
            expected = EXPECTED_KIND_COUNTS.get(kind, 0)
            note = "" if count == expected else f" (expected {expected})"
            self.stdout.write(f"{kind}: {count}{note}")
        self.stdout.write(f"total: {len(document['units'])}")

        if counts != EXPECTED_KIND_COUNTS and not options["force"]:
            raise CommandError(
                "Counts per kind differ from 113 wards, 54 communes, 1 special zone: not writing. "
                "Check the package data, then rerun with --force if the change is real."
            )
        output = Path(options["output"])
        write_hcmc_units(document, output)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(document['units'])} units to {output}"))
