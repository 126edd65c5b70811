"""The stage's attachments bucket (S3): files kept under each ticket, links
that let a browser download or upload one object for a few minutes, and
the removal of a ticket's files, every version of them (the bucket is
versioned), when its customer is erased.

Links are signed here by botocore, with no call to S3: the API hands them
out without waiting on anything."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .aws import client


class FileError(Exception):
    """S3 did not store or hand out a file; trying again later may work."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    content_type: str
    sha256: str


class FileStore:
    def __init__(self, bucket: str) -> None:
        self._bucket = bucket

    def put(self, key: str, data: bytes, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client("s3").put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)
        except (BotoCoreError, ClientError) as error:
            raise FileError(str(error)) from error

    def read(self, key: str) -> bytes | None:
        """The object's bytes; None when there is no such object."""
        found = self._get(key)
        return None if found is None else found["Body"].read()

    def describe(self, key: str, max_bytes: int) -> StoredFile | None:
        """Size, type and SHA-256 of an object, read through once (at most
        `max_bytes`: a larger one is described by its size alone); None when
        there is no such object."""
        found = self._get(key)
        if found is None:
            return None
        size, digest = int(found["ContentLength"]), hashlib.sha256()
        with found["Body"] as body:
            if size > max_bytes:
                return StoredFile(key, size, found.get("ContentType") or "", "")
            for chunk in iter(lambda: body.read(1024 * 1024), b""):
                digest.update(chunk)
        return StoredFile(key, size, found.get("ContentType") or "", digest.hexdigest())

    def _get(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found: dict[str, Any] = client("s3").get_object(Bucket=self._bucket, Key=key)
            return found
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise FileError(str(error)) from error
        except BotoCoreError as error:
            raise FileError(str(error)) from error

    def purge(self, prefix: str) -> int:
        """Delete every version of every object under the prefix; how many."""
        s3, removed = client("s3"), 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self._bucket, Prefix=prefix):
            versions = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            for start in range(0, len(versions), 1000):  # DeleteObjects takes at most 1,000
                answer = s3.delete_objects(
                    Bucket=self._bucket, Delete={"Objects": versions[start : start + 1000], "Quiet": True}
                )
                if answer.get("Errors"):
                    raise FileError(
                        f"{len(answer['Errors'])} objects under {prefix} not deleted: {answer['Errors'][0].get('Code')}"
                    )
            removed += len(versions)
        return removed

    def download_link(self, key: str, name: str, content_type: str, seconds: int) -> str:
        """A GET link that saves the file under its name."""
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
        link: str = client("s3").generate_presigned_url(
            "get_object",
            ExpiresIn=seconds,
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
        )
        return link

    def upload_form(self, key: str, content_type: str, max_bytes: int, seconds: int) -> dict[str, Any]:
        """A POST form for one object: this key, this type, 1 byte to `max_bytes`."""
        form: dict[str, Any] = client("s3").generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            ExpiresIn=seconds,
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        )
        return form
