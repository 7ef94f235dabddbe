"""Report events: append-only, enforced by the database (govportal.audit_guard): no UPDATE, no DELETE or TRUNCATE unless purging on purpose."""

from django.db import migrations

from govportal.audit_guard import append_only


class Migration(migrations.Migration):
    dependencies = [("feedback", "0006_dashboard_speed")]

    operations = [append_only("feedback_reportevent")]
