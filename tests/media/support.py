"""Real images for the media tests: a JPEG from a phone, with GPS, time, orientation, XMP and a comment."""
from __future__ import annotations

import io

from PIL import ExifTags, Image

#: What the metadata carries; none of it may come out of Crier.
SECRETS = (b"Crier Test Phone", b"2026:12:01 07:15:00", b"secret-xmp-location", b"taken at 1 High Street")


def gps_jpeg(width: int = 40, height: int = 20, orientation: int = 6, noise: bool = False) -> bytes:
    """A JPEG with EXIF (GPS position, camera, time, orientation), XMP and a comment."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    if noise:
        image = Image.frombytes("RGB", (width, height), bytes((i * 7919) % 251 for i in range(width * height * 3)))
    for x in range(width // 2):
        image.putpixel((x, 0), (0, 0, 255))  # a blue mark along the top-left edge shows the orientation
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Crier Test Phone"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.DateTime] = "2026:12:01 07:15:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    out = io.BytesIO()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description photoshop:City="secret-xmp-location"/></rdf:RDF></x:xmpmeta>')
    image.save(out, "JPEG", exif=exif, comment=b"taken at 1 High Street", xmp=xmp, quality=95)
    data = out.getvalue()
    assert all(secret in data for secret in SECRETS), "the test image must carry its metadata"
    assert gps_of(data), "the test image must carry a GPS position"
    return data


def gps_of(data: bytes) -> dict:
    """The GPS tags in an image's EXIF (empty when there are none)."""
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def assert_no_metadata(data: bytes) -> None:
    """No EXIF, GPS, XMP, comment or other metadata: only pixels."""
    for secret in SECRETS:
        assert secret not in data, secret
    assert b"Exif\x00\x00" not in data and b"http://ns.adobe.com/xap/1.0/" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif(), dict(image.getexif())
        assert gps_of(data) == {}
        assert not {"exif", "xmp", "comment", "XML:com.adobe.xmp", "icc_profile"} & set(image.info), image.info


def png(width: int = 8, height: int = 8, colour=(0, 128, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()
