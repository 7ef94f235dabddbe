"""Account events and the registry access log: append-only, enforced by the database (govportal.audit_guard): no UPDATE, no DELETE or TRUNCATE unless purging on purpose."""

from django.db import migrations

from govportal.audit_guard import append_only


class Migration(migrations.Migration):
    dependencies = [("identity", "0007_one_time_codes")]

    operations = [append_only("identity_accountevent", "identity_registryaccesslog")]
