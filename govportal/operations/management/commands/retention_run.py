"""`manage.py retention_run [--dry-run]`: the retention run the beat starts daily (govportal.operations.retention)."""

from django.core.management.base import BaseCommand

from govportal.operations.retention import retention_run


class Command(BaseCommand):
    help = "Erase closed reports' contact details and delete drafts never submitted, past their retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only list what would be erased or deleted")

    def handle(self, *args, dry_run=False, **options):
        summary = retention_run(dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"Report contacts that {verb} erased ({summary['report_contact_days']} days after closing): "
            f"{len(summary['reports'])} {' '.join(summary['reports'])}".rstrip()
        )
        self.stdout.write(
            f"Drafts that {verb} deleted ({summary['draft_days']} days without a change): "
            f"{len(summary['drafts'])} {' '.join(summary['drafts'])}".rstrip()
        )
        self.stdout.write(f"One-time codes that {verb} deleted: {summary['codes']}")
        if not dry_run:
            self.stdout.write(f"Stored files deleted: {summary['files']}")
