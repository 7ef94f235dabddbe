"""Report photos: JPEG/PNG only by content, metadata stripped (GPS kept only on request), upright, counted."""

import hashlib
import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, PngImagePlugin

from feedback.photos import MAX_PHOTOS_PER_REPORT, PhotoError, store_photo, store_photos

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (10.0, 46.0, 30.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (106.0, 42.0, 10.0),
}


def phone_jpeg(*, orientation: int = 1) -> bytes:
    """A 60x30 JPEG as a phone writes it: camera, GPS position, orientation tag and a comment."""
    image = Image.new("RGB", (60, 30), "white")
    image.paste((200, 0, 0), (0, 0, 30, 30))  # red on the left half
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def read_back(stored_name: str) -> Image.Image:
    with storages["dossiers"].open(stored_name, "rb") as handle:
        data = handle.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_exif_and_gps_are_stripped_from_a_phone_photo():
    original = phone_jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really has GPS
    photo = store_photo(upload(original, "IMG_0001.jpg"))
    assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (60, 30)
    assert photo.stored_name.startswith("reports/") and "IMG_0001" not in photo.stored_name
    stored = read_back(photo.stored_name)
    assert len(stored.getexif()) == 0
    assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "exif" not in stored.info and "comment" not in stored.info
    with storages["dossiers"].open(photo.stored_name, "rb") as handle:
        data = handle.read()
    assert b"PhoneMaker" not in data and b"taken at home" not in data
    assert photo.size == len(data) and photo.sha256 == hashlib.sha256(data).hexdigest()


def test_keep_location_keeps_only_the_gps_block():
    photo = store_photo(upload(phone_jpeg()), keep_location=True)
    exif = read_back(photo.stored_name).getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert tuple(float(v) for v in gps[ExifTags.GPS.GPSLatitude]) == (10.0, 46.0, 30.0)
    assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif


def test_orientation_is_applied_before_the_tag_is_dropped():
    # Orientation 6: the viewer must turn the picture 90° clockwise; stored pixels are turned instead.
    photo = store_photo(upload(phone_jpeg(orientation=6)))
    assert (photo.width, photo.height) == (30, 60)
    stored = read_back(photo.stored_name).convert("RGB")
    assert ExifTags.Base.Orientation not in stored.getexif()
    top_r, _g, _b = stored.getpixel((15, 5))
    bottom_r, bottom_g, _b2 = stored.getpixel((15, 55))
    assert top_r > 150 and bottom_g > 200  # red (the former left half) is now on top


def test_png_text_chunks_are_stripped():
    image = Image.new("RGBA", (20, 10), (0, 128, 255, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Nguyen Van A")
    info.add_text("Location", "12 Le Loi, Ben Thanh")
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    photo = store_photo(upload(out.getvalue(), "screen.png"))
    assert photo.content_type == "image/png" and photo.stored_name.endswith(".png")
    stored = read_back(photo.stored_name)
    assert stored.mode == "RGBA" and stored.getpixel((1, 1)) == (0, 128, 255, 128)
    assert "Author" not in stored.info and "Location" not in stored.info
    with storages["dossiers"].open(photo.stored_name, "rb") as handle:
        assert b"Nguyen Van A" not in handle.read()


def test_a_renamed_pdf_is_refused():
    with pytest.raises(PhotoError) as refused:
        store_photo(upload(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n", "flood.jpg"))
    assert refused.value.code == "photo_type"


def test_a_fake_jpeg_header_is_refused_by_decoding():
    with pytest.raises(PhotoError) as refused:
        store_photo(upload(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 100))
    assert refused.value.code == "photo_type"


def test_a_photo_over_10_mb_is_refused():
    big = phone_jpeg() + b"\0" * (11 * 1024 * 1024)
    with pytest.raises(PhotoError) as refused:
        store_photo(upload(big))
    assert refused.value.code == "photo_too_large"


def test_the_sixth_photo_is_refused():
    stored = store_photos([upload(phone_jpeg()) for _ in range(MAX_PHOTOS_PER_REPORT)])
    assert len(stored) == 5 and len({photo.stored_name for photo in stored}) == 5
    with pytest.raises(PhotoError) as refused:
        store_photo(upload(phone_jpeg()), existing=5)
    assert refused.value.code == "too_many_photos"
    with pytest.raises(PhotoError) as refused_batch:
        store_photos([upload(phone_jpeg()) for _ in range(6)])
    assert refused_batch.value.code == "too_many_photos"


def stored_photo_names() -> set[str]:
    storage = storages["dossiers"]
    names, folders = set(), ["reports"]
    while folders:
        folder = folders.pop()
        if not storage.exists(folder):
            continue
        subfolders, files = storage.listdir(folder)
        folders += [f"{folder}/{sub}" for sub in subfolders]
        names |= {f"{folder}/{name}" for name in files}
    return names


def test_a_refused_photo_in_a_batch_removes_the_ones_already_saved():
    before = stored_photo_names()
    kept = store_photo(upload(phone_jpeg()))
    assert stored_photo_names() - before == {kept.stored_name}  # the walk sees stored photos
    with pytest.raises(PhotoError):
        store_photos([upload(phone_jpeg()), upload(b"%PDF-1.4 nope", "b.jpg")])
    # Nothing of the first photo of the refused batch stays behind: the batch is all or nothing.
    assert stored_photo_names() - before == {kept.stored_name}
