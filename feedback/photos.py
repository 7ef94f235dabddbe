"""Report photos: checked by content, re-encoded without metadata, stored under random names.

A photo taken with a phone carries EXIF: the camera, the time and often the
exact GPS position of the person who took it (their home, if they reported from
their window). Every photo is therefore decoded and encoded again, which keeps
only the pixels:

- the EXIF orientation is applied to the pixels first, so the photo stands the
  right way up without the tag;
- EXIF, XMP, comments and PNG text chunks are dropped (the ICC colour profile
  and PNG transparency are kept: they describe colours, not people);
- with ``keep_location=True`` (the reporter chose to share the place) only the
  EXIF GPS block is written back; nothing else of the original EXIF is.

Only JPEG and PNG are accepted, by their first bytes and by Pillow decoding
them fully (a renamed PDF or a truncated image is refused), at most
MAX_PHOTO_BYTES each (10 MB) and MAX_PHOTOS_PER_REPORT (5) per report. Files go
through Django's storage API (settings.REPORT_PHOTO_STORAGE, a key of
STORAGES: by default the private "dossiers" storage, under reports/YYYY/MM/).
"""

import hashlib
import io
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from govportal.api.errors import ApplicationError
from govportal.storage_guard import save_or_refuse

logger = logging.getLogger(__name__)

MAX_PHOTOS_PER_REPORT = 5
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Larger images are refused before decoding (a small file can expand to gigabytes).
MAX_PHOTO_PIXELS = 50_000_000
JPEG_QUALITY = 88
FORMATS = {
    # first bytes, Pillow's format name, content type, extension
    "JPEG": (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    "PNG": (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
}


class PhotoError(ApplicationError):
    """A photo was refused: ``photo_type``, ``photo_too_large`` or ``too_many_photos`` (on the field "photos")."""

    def __init__(self, code: str, detail: str, **kwargs):
        kwargs.setdefault("extra", {"errors": {"photos": detail}})
        super().__init__(code, detail, **kwargs)


@dataclass(frozen=True)
class StoredPhoto:
    stored_name: str
    size: int
    sha256: str
    content_type: str
    width: int
    height: int


def photo_storage() -> Storage:
    return storages[getattr(settings, "REPORT_PHOTO_STORAGE", "dossiers")]


def check_photo_count(existing: int, adding: int = 1) -> None:
    if existing + adding > MAX_PHOTOS_PER_REPORT:
        raise PhotoError(
            "too_many_photos",
            _("A report can have at most %(max)s photos.") % {"max": MAX_PHOTOS_PER_REPORT},
        )


def _refuse_type() -> PhotoError:
    return PhotoError("photo_type", _("Only JPEG or PNG photos are accepted (checked by their content)."))


def _too_large() -> PhotoError:
    return PhotoError("photo_too_large", _("A photo may be at most 10 MB."))


def _read(upload) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise _too_large()
    upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large()
    return data


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """The fully loaded image and its format; PhotoError unless it really is a JPEG or PNG."""
    fmt = next((name for name, (magic, _type, _ext) in FORMATS.items() if data.startswith(magic)), None)
    if fmt is None:
        raise _refuse_type()
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            if probe.width * probe.height > MAX_PHOTO_PIXELS:
                raise _too_large()
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=[fmt])
        image.load()
    except Image.DecompressionBombError as error:
        raise _too_large() from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise _refuse_type() from error
    return image, fmt


def clean_image(data: bytes, *, keep_location: bool = False) -> tuple[bytes, str, int, int]:
    """Re-encode a JPEG or PNG without metadata; returns (bytes, format, width, height)."""
    image, fmt = _decode(data)
    gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo) if keep_location else {}
    upright = ImageOps.exif_transpose(image)
    kept = {key: image.info[key] for key in ("icc_profile", "transparency") if key in image.info}
    upright.info = {}
    options: dict = {}
    if kept.get("icc_profile"):
        options["icc_profile"] = kept["icc_profile"]
    if gps:
        exif = Image.Exif()
        exif[ExifTags.IFD.GPSInfo] = gps
        options["exif"] = exif
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        options.update(quality=JPEG_QUALITY, optimize=True)
    else:
        if "transparency" in kept:
            options["transparency"] = kept["transparency"]
        options["optimize"] = True
    out = io.BytesIO()
    upright.save(out, fmt, **options)
    return out.getvalue(), fmt, upright.width, upright.height


def store_photo(upload, *, existing: int = 0, keep_location: bool = False) -> StoredPhoto:
    """Check one uploaded photo, strip it, save it under reports/YYYY/MM/<random>.<ext>.

    ``existing`` is the number of photos the report already has.
    """
    check_photo_count(existing)
    cleaned, fmt, width, height = clean_image(_read(upload), keep_location=keep_location)
    _magic, content_type, extension = FORMATS[fmt]
    wanted = f"reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"
    stored_name = save_or_refuse(photo_storage(), wanted, ContentFile(cleaned))  # a full disk: storage_full
    return StoredPhoto(stored_name, len(cleaned), hashlib.sha256(cleaned).hexdigest(), content_type, width, height)


def store_photos(uploads: Iterable, *, existing: int = 0, keep_location: bool = False) -> list[StoredPhoto]:
    """Store several photos or none: the count is checked first, and a refused photo removes those already saved."""
    uploads = list(uploads)
    check_photo_count(existing, len(uploads))
    stored: list[StoredPhoto] = []
    try:
        for upload in uploads:
            stored.append(store_photo(upload, existing=existing + len(stored), keep_location=keep_location))
    except Exception:
        for photo in stored:
            discard_photo(photo.stored_name)
        raise
    return stored


def discard_photo(stored_name: str) -> None:
    """Remove a stored photo whose report was never saved; never raises (a file left behind is only space)."""
    try:
        photo_storage().delete(stored_name)
    except Exception:  # a storage outage: log it, keep the caller's outcome
        logger.exception("Could not remove stored photo %s", stored_name)


def photo_response(photo):
    """Stream a stored photo to someone already allowed to see it: private cache, no sniffing; 404 if the file is gone."""
    from django.http import FileResponse, Http404

    try:
        handle = photo_storage().open(photo.stored_name, "rb")  # FileResponse closes it
    except OSError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
