"""Saving a file when the disk may be full: the citizen is told, and no partial file stays behind.

Django's FileSystemStorage leaves the half-written file in place when a write
fails (ENOSPC: the disk is full; EDQUOT: a quota). `save_or_refuse` removes it
and raises ApplicationError `storage_full` (507 Insufficient Storage), which
the API answers in its JSON format and pages show as a form error. Callers
write the file before their database row and remove the file if the row is
not committed, so a refused file leaves neither a row nor a file.
"""

import errno
import logging

from django.core.files.storage import Storage
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError

logger = logging.getLogger(__name__)

FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def storage_full_error() -> ApplicationError:
    return ApplicationError(
        "storage_full",
        _("The portal cannot store files at the moment. Nothing was saved; please try again later."),
        status_code=507,
    )


def save_or_refuse(storage: Storage, name: str, content) -> str:
    """`storage.save(name, content)`; on a full disk remove what was written and raise `storage_full`."""
    try:
        return storage.save(name, content)
    except OSError as error:
        if error.errno not in FULL_ERRNOS:
            raise
        logger.error("Storage full while saving %s: %s", name, error)
        try:
            storage.delete(name)  # the names are random: this is only our own partial file
        except Exception:
            logger.exception("Could not remove the partial file %s", name)
        raise storage_full_error() from error
