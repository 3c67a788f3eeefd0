"""A local S3 API for tests: moto's server on a free loopback port, with one bucket.

The server (moto's ``ThreadedMotoServer``) runs in a child process, not in a thread of
the test: some deltalake calls (``DeltaTable.is_deltatable``) wait on their HTTP request
while holding the GIL, so a server thread of the same process could never answer them.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from phenodag_tests.helpers import free_port

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "phenodag-test", "AWS_SECRET_ACCESS_KEY": "phenodag-test"}
"""Throw-away keys moto accepts; a deployment's come from its environment or pod role."""


@dataclass(frozen=True)
class S3:
    """A running local S3 API: its endpoint, a bucket and the environment that points phenodag at it."""

    endpoint: str
    bucket: str

    def env(self, prefix: str) -> dict[str, str]:
        """Environment of a phenodag home whose lake is ``s3://<bucket>/<prefix>`` on this endpoint."""
        return {
            **CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "PHENODAG_LAKE": f"s3://{self.bucket}/{prefix}",
        }

    def keys(self, prefix: str) -> list[str]:
        """Object keys under ``prefix`` (a listing through boto3, independent of deltalake)."""
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **_boto_credentials())
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


SERVER = """
import sys
from moto.server import ThreadedMotoServer

server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
sys.stdin.read()  # until the test closes our stdin
server.stop()
"""


@contextlib.contextmanager
def local_s3(bucket: str = "phenodag") -> Iterator[S3]:
    """Start moto's S3 server on 127.0.0.1 in a child process, with ``bucket``; skip when moto is not installed."""
    pytest.importorskip("moto.server", reason="moto[server] (the local S3 API) is not installed")
    import boto3

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **_boto_credentials())
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=bucket)
                break
            except Exception:  # not listening yet
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield S3(endpoint, bucket)
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
