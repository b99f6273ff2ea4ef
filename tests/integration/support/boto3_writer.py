"""A boto3 writer for gateway_crash_test.ts: for DURATION seconds, writes
objects through gateways picked at random from ENDPOINTS (comma-separated),
small ones with PutObject and larger ones as uploads whose chunks and
completion may each go through another gateway. The content of every object
is derived from its name (content_for below; the test derives the same), so
whatever is listed can be checked byte for byte.

Prints `ACK <name>` once a write is acknowledged and `FAIL <name> <error>`
when one gave up after its retries; `END <acked> <failed>` last.
"""

import base64
import hashlib
import os
import random
import sys
import time

import boto3
import botocore.config

ENDPOINTS = os.environ["ENDPOINTS"].split(",")
JOB = os.environ["JOB"]
WRITER = os.environ["WRITER"]
DURATION = float(os.environ["DURATION"])
CONFIG = botocore.config.Config(
    retries={"max_attempts": 12, "mode": "standard"},
    connect_timeout=2,
    read_timeout=20,
)
CLIENTS = [
    boto3.client("backupstorage", endpoint_url=e, region_name="us-east-1", config=CONFIG)
    for e in ENDPOINTS
]


def content_for(name):
    """Chunks of an object: 1 chunk of 1-60 KiB, or 2-3 chunks of 70-200 KiB."""
    seed = hashlib.sha256(name.encode()).digest()
    count = 1 if seed[0] % 2 == 0 else 2 + seed[1] % 2
    chunks = []
    for i in range(count):
        size = (1024 + (seed[2 + i] * 240)) if count == 1 else (70 * 1024 + seed[2 + i] * 512)
        block = bytearray()
        counter = 0
        while len(block) < size:
            block += hashlib.sha256(seed + bytes([i]) + counter.to_bytes(4, "big")).digest()
            counter += 1
        chunks.append(bytes(block[:size]))
    return chunks


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def summary(chunks):
    return base64.b64encode(
        hashlib.sha256(b"".join(hashlib.sha256(c).digest() for c in chunks)).digest()
    ).decode()


def pick():
    return random.choice(CLIENTS)


def write(name):
    chunks = content_for(name)
    if len(chunks) == 1:
        pick().put_object(
            BackupJobId=JOB,
            ObjectName=name,
            InlineChunk=chunks[0],
            InlineChunkLength=len(chunks[0]),
            InlineChunkChecksum=b64sha(chunks[0]),
            InlineChunkChecksumAlgorithm="SHA256",
        )
        return
    upload = pick().start_object(BackupJobId=JOB, ObjectName=name)["UploadId"]
    for index, data in enumerate(chunks):
        pick().put_chunk(
            BackupJobId=JOB,
            UploadId=upload,
            ChunkIndex=index,
            Data=data,
            Length=len(data),
            Checksum=b64sha(data),
            ChecksumAlgorithm="SHA256",
        )
    pick().notify_object_complete(
        BackupJobId=JOB,
        UploadId=upload,
        ObjectChecksum=summary(chunks),
        ObjectChecksumAlgorithm="SUMMARY",
    )


def main():
    random.seed(WRITER)
    acked = failed = 0
    deadline = time.monotonic() + DURATION
    i = 0
    while time.monotonic() < deadline and i < 100000:
        name = f"{WRITER}/obj-{i}"
        i += 1
        try:
            write(name)
        except Exception as error:  # gave up after the retries: not acknowledged
            failed += 1
            print(f"FAIL {name} {type(error).__name__}", flush=True)
            continue
        acked += 1
        print(f"ACK {name}", flush=True)
    print(f"END {acked} {failed}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
