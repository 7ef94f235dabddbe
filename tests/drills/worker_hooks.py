"""Inside a drill's worker: SIGKILL the pool process in the middle of a task, once.

GOVPORTAL_DRILL_KILL (JSON) names event actions ("route", "overdue"); when the
task being run saves a dossier event with one of them (inside the task's
transaction, not committed yet), the process dies at once, as under the OOM
killer. A marker file per action makes it happen once across processes, so
the redelivered task survives.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

ENV = "GOVPORTAL_DRILL_KILL"


def connect() -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    spec = json.loads(spec)
    actions, marker_dir = set(spec["actions"]), Path(spec["marker_dir"])

    from django.db.models.signals import post_save

    def _die_mid_task(sender, instance, created, **kwargs):
        if not created or instance.action not in actions:
            return
        try:
            os.close(os.open(marker_dir / f"killed-{instance.action}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os.kill(os.getpid(), signal.SIGKILL)

    post_save.connect(_die_mid_task, sender="procedures.DossierEvent", weak=False, dispatch_uid="drill-kill")
