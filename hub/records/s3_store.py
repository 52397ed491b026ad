"""The evidence object store on S3-compatible storage (an option beside the directory): the
same objects under the same names (``{prefix}ab/cd/abcd…``, the SHA-256 of the bytes), one
PUT each (an S3 object appears whole or not at all), the bytes checked against their name
when read. Credentials come from the environment as boto3 reads them (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``), never from the config file. Tested against moto's S3 server."""

from __future__ import annotations

import hashlib
from typing import Any

from hub.records.objects import ObjectError, check_name


class S3Store:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    @classmethod
    def connect(cls, endpoint_url: str | None, region: str, bucket: str, prefix: str) -> S3Store:
        import boto3  # only a hub configured for S3 needs it

        client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        return cls(client, bucket, prefix)

    def key(self, sha256: str) -> str:
        check_name(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def _exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        key = self.key(sha)
        if not self._exists(key):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
        return sha

    def get(self, sha256: str) -> bytes | None:
        key = self.key(sha256)
        if not self._exists(key):
            return None
        data = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ObjectError(f"object {sha256}: stored bytes no longer match their SHA-256")
        return bytes(data)

    def delete(self, sha256: str) -> bool:
        key = self.key(sha256)
        if not self._exists(key):
            return False
        self.client.delete_object(Bucket=self.bucket, Key=key)
        return True
