"""The legal due date stays on the dossier next to the date an apology promised (docs/0006).

Until now an apology overwrote `due_at` with its new date and cleared `is_overdue`.
This migration keeps `due_at` as the legal due date, adds `promised_at`, and puts
back the legal date on dossiers that were apologised for: the first apology's
`old_due_at` (recorded in its event) is the legal date, the last one's `new_due_at`
the promise. Where something moved `due_at` after the last apology (a supplement
pause), the legal date cannot be rebuilt exactly: it is left as it is and only the
promise is recorded. `is_overdue` goes: "overdue" is derived from the legal date
(`Dossier.objects.overdue(now)`), and the clock's own record is `overdue_flagged_at`.
"""

from datetime import datetime

from django.db import migrations, models


def _at(value):
    return datetime.fromisoformat(value) if value else None


def restore_legal_due_dates(apps, schema_editor):
    Dossier = apps.get_model("procedures", "Dossier")
    DossierEvent = apps.get_model("procedures", "DossierEvent")
    apologised = DossierEvent.objects.filter(action="apologise").values_list("dossier_id", flat=True).distinct()
    for dossier in Dossier.objects.filter(pk__in=apologised).iterator():
        apologies = list(DossierEvent.objects.filter(dossier=dossier, action="apologise").order_by("at", "id"))
        legal = _at(apologies[0].data.get("old_due_at"))
        promised = _at(apologies[-1].data.get("new_due_at"))
        changes = {"promised_at": promised}
        if legal is not None and promised is not None and dossier.due_at == promised:
            changes["due_at"] = legal
        Dossier.objects.filter(pk=dossier.pk).update(**changes)


def back_to_the_promised_date(apps, schema_editor):
    Dossier = apps.get_model("procedures", "Dossier")
    for dossier in Dossier.objects.filter(promised_at__isnull=False).iterator():
        Dossier.objects.filter(pk=dossier.pk).update(due_at=dossier.promised_at)
    Dossier.objects.filter(overdue_flagged_at__isnull=False).update(is_overdue=True)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0002_routing_transfers_clocks"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="promised_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="promised date (apology)"),
        ),
        migrations.RunPython(restore_legal_due_dates, back_to_the_promised_date),
        migrations.RemoveField(
            model_name="dossier",
            name="is_overdue",
        ),
        migrations.AlterField(
            model_name="dossier",
            name="due_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="legal due date"),
        ),
    ]
