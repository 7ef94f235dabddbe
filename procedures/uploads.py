"""Uploaded files: checked by content, stored under generated names outside the web root.

The name a citizen gives a file is only a label: the type comes from the
file's first bytes, the stored name is random, and nothing of the original
name reaches the storage.

Files go through Django's Storage API (the named storage "dossiers" in
settings.STORAGES: the file system by default, an S3-compatible bucket by
settings), never through open() on a local path, so any web container can serve
a file that another one received.
"""

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.utils import timezone
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError
from govportal.storage_guard import save_or_refuse

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The key of settings.STORAGES under which dossiers' files are kept.
DOSSIER_STORAGE = "dossiers"
SIGNATURES = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
]


@dataclass(frozen=True)
class StoredFile:
    original_name: str
    stored_name: str
    content_type: str
    size: int
    sha256: str


def display_name(name: str) -> str:
    """A safe label from whatever the browser sent: no folders, no control characters."""
    base = os.path.basename(str(name).replace("\\", "/")).strip()
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*')
    return cleaned[:150] or "file"


def detect_type(head: bytes) -> tuple[str, str] | None:
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    return None


def check_upload(upload) -> tuple[str, str]:
    """Refuse files that are too large or not really PDF, JPEG or PNG; return (type, extension)."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ApplicationError(
            "file_too_large",
            _("%(name)s is larger than 10 MB.") % {"name": display_name(upload.name)},
        )
    if upload.size == 0:
        raise ApplicationError("file_empty", _("%(name)s is empty.") % {"name": display_name(upload.name)})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    detected = detect_type(head)
    if detected is None:
        raise ApplicationError(
            "file_type",
            _("%(name)s is not a PDF, JPEG or PNG file (checked by its content, not its name).")
            % {"name": display_name(upload.name)},
        )
    return detected


def dossier_storage() -> Storage:
    """The storage that holds citizens' documents and results (settings.STORAGES["dossiers"])."""
    return storages[DOSSIER_STORAGE]


def store_upload(upload) -> StoredFile:
    """Check, then save the file under a random name dossiers/YYYY/MM/<uuid>.<ext> in the dossiers storage."""
    content_type, extension = check_upload(upload)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    now = timezone.now()
    wanted = f"dossiers/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"
    stored_name = save_or_refuse(dossier_storage(), wanted, upload)  # a full disk: storage_full, no partial file
    return StoredFile(display_name(upload.name), stored_name, content_type, size, digest.hexdigest())


def open_stored(stored_name: str) -> File:
    """Open a stored file for reading; FileNotFoundError when it is missing or its name is not ours."""
    try:
        return dossier_storage().open(stored_name, "rb")
    except SuspiciousFileOperation as error:  # a name that climbs out of the storage
        raise FileNotFoundError(stored_name) from error


def stored_exists(stored_name: str) -> bool:
    try:
        return dossier_storage().exists(stored_name)
    except SuspiciousFileOperation:
        return False


def discard(stored_name: str) -> None:
    """Remove a stored file whose database row was never committed (or was deleted).

    Never raises: it runs while another error is handled or after a commit, and a
    file left behind is only space, while a raised error would hide the real one.
    """
    try:
        dossier_storage().delete(stored_name)
    except SuspiciousFileOperation:
        pass
    except Exception:  # a storage outage: log it, keep the caller's outcome
        logger.exception("Could not remove stored file %s", stored_name)
