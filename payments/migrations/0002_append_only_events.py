"""Payment events and gateway notifications: append-only, enforced by the database (govportal.audit_guard): no UPDATE, no DELETE or TRUNCATE unless purging on purpose."""

from django.db import migrations

from govportal.audit_guard import append_only


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [append_only("payments_paymentevent", "payments_gatewaycallback")]
