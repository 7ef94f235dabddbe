# Hand-written (Django 5.2 style): each user's language for notifications, an index for the
# notification sweep, and the clock notices' sources in the one staff form.

from django.db import migrations, models

LEGACY_CLOCK_PREFIX = "dossier-clock:"  # "dossier-clock:<event id>:<user id>" until issue 8
STAFF_PREFIX = "dossier-staff:"  # "dossier-staff:<event id>", unique per user


def staff_sources(apps, schema_editor):
    """Rename the clock notices' sources, so the sweep sees them as told and sends no second notice."""
    Notification = apps.get_model("identity", "Notification")
    batch = []
    for notification in Notification.objects.filter(source__startswith=LEGACY_CLOCK_PREFIX).only("pk", "source"):
        event_id = notification.source[len(LEGACY_CLOCK_PREFIX) :].split(":", 1)[0]
        notification.source = f"{STAFF_PREFIX}{event_id}"
        batch.append(notification)
        if len(batch) >= 1000:
            Notification.objects.bulk_update(batch, ["source"])
            batch = []
    Notification.objects.bulk_update(batch, ["source"])


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0005_notifications'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='language',
            field=models.CharField(
                choices=[('vi', 'Vietnamese'), ('en', 'English')],
                default='vi',
                help_text='Messages in the portal and emails come in this language.',
                max_length=8,
                verbose_name='language of notifications',
            ),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['source'], name='notification_source_idx'),
        ),
        migrations.RunPython(staff_sources, migrations.RunPython.noop),
    ]
