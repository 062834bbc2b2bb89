"""Where image bytes live, behind one small interface: ``put``, ``get``, ``delete``.

``CRIER_MEDIA_STORAGE`` chooses: a folder (the default: ``media/`` in the
instance folder) or ``s3://bucket[/prefix]`` for an S3-compatible bucket
(``CRIER_MEDIA_S3_ENDPOINT_URL`` for one that is not AWS; credentials come the
usual boto3 way, from the environment or the instance role, never from Crier's
settings). Keys are Crier's own (``<digest>.<ext>``), never a file name a user chose.
"""
from __future__ import annotations

import abc
import functools
import os
import re
from pathlib import Path

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from workflow.core.config import Settings
from workflow.core.errors import CrierError

_KEY = re.compile(r"^[0-9a-f]{16,64}\.(jpg|png|gif|webp)$")


class StorageError(CrierError):
    """The media store could not be reached or refused the operation."""

    code = "storage_unavailable"
    status = 503


class MediaStore(abc.ABC):
    """The bytes of stored images, by key."""

    @abc.abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (writing the same key again is harmless)."""

    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """The bytes under ``key``, or None if there are none."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; a key already gone is not an error."""


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a media key: {key!r}")
    return key


class FolderStore(MediaStore):
    """Images as files in one folder (0600, written whole then renamed into place)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.folder / _checked(key)
        temporary = target.with_name(f".{key}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(temporary, target)

    def get(self, key: str) -> bytes | None:
        try:
            return (self.folder / _checked(key)).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        try:
            (self.folder / _checked(key)).unlink()
        except FileNotFoundError:
            pass


class BucketStore(MediaStore):
    """Images as objects in an S3-compatible bucket, under an optional prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 timeout: tuple[float, float] = (5.0, 15.0)):
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None,
            config=BotoConfig(connect_timeout=timeout[0], read_timeout=timeout[1],
                              retries={"max_attempts": 3, "mode": "standard"}))

    def _name(self, key: str) -> str:
        return self.prefix + _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"the media bucket refused the image ({type(exc).__name__})") from None

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
            return answer["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise StorageError(f"the media bucket could not be read ({type(exc).__name__})") from None
        except BotoCoreError as exc:
            raise StorageError(f"the media bucket could not be read ({type(exc).__name__})") from None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"the media bucket refused the deletion ({type(exc).__name__})") from None


def parse_location(location: str) -> tuple[str, str, str]:
    """("folder", path, "") or ("s3", bucket, prefix) from ``CRIER_MEDIA_STORAGE``."""
    if location.startswith("s3://"):
        rest = location[len("s3://"):]
        bucket, _, prefix = rest.partition("/")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
            raise ValueError(f"{bucket!r} is not an S3 bucket name")
        return "s3", bucket, prefix
    if "://" in location or not location.strip():
        raise ValueError("expected a folder or s3://bucket[/prefix]")
    return "folder", location, ""


@functools.lru_cache(maxsize=8)
def _store(location: str, endpoint_url: str, connect: float, read: float) -> MediaStore:
    kind, where, prefix = parse_location(location)
    if kind == "s3":
        return BucketStore(where, prefix, endpoint_url=endpoint_url or None, timeout=(connect, read))
    return FolderStore(where)


def store_for(settings: Settings) -> MediaStore:
    """The media store these settings name (one per process and location)."""
    return _store(settings.media_storage, settings.media_s3_endpoint_url, settings.connect_timeout,
                  settings.read_timeout)
