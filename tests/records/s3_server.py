"""A real S3-speaking server for the tests: moto's server mode on a free port (HTTP, the S3
API as boto3 speaks it to any endpoint), with a bucket of its own per test."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from hub.settings import S3Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Settings]:
    """Credentials in the environment (as the hub takes them), a fresh bucket."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "gridwall-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "gridwall-test-secret")
    bucket = f"gw-{uuid.uuid4().hex[:12]}"
    client: Any = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    yield S3Settings(endpoint_url=s3_endpoint, bucket=bucket, prefix="evidence/")
