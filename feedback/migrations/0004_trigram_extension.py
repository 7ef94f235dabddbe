"""pg_trgm for the duplicate finder (feedback.duplicates); a no-op on databases other than PostgreSQL."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("feedback", "0003_photos_open311_publication")]

    operations = [TrigramExtension()]
