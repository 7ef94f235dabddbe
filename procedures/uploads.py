"""Uploaded files: checked by content, stored under generated names outside the web root.

The name a citizen gives a file is only a label: the type comes from the
file's first bytes, the stored name is random, and nothing of the original
name reaches the file system.
"""

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
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


def store_upload(upload) -> StoredFile:
    """Check, then write the file under a random name in MEDIA_ROOT/dossiers/YYYY/MM/."""
    content_type, extension = check_upload(upload)
    now = timezone.now()
    relative = f"dossiers/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with open(target, "xb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return StoredFile(display_name(upload.name), relative, content_type, size, digest.hexdigest())


def stored_path(stored_name: str) -> Path:
    path = (Path(settings.MEDIA_ROOT) / stored_name).resolve()
    if Path(settings.MEDIA_ROOT).resolve() not in path.parents:
        raise ValueError("stored name escapes the media root")
    return path


def discard(stored_name: str) -> None:
    """Remove a stored file whose database row was never committed."""
    try:
        stored_path(stored_name).unlink(missing_ok=True)
    except ValueError:
        pass
