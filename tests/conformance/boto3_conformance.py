"""Conformance of the BackupStorage service with the official client (boto3).

Run by boto3_test.ts against a live service. Reads the endpoint from
BACKUPSTORAGE_ENDPOINT, the job id from BACKUPSTORAGE_JOB and the credentials
from the usual AWS_* environment variables. Every check is an assertion; on
success it prints one JSON line describing what it left in the store.
"""

import base64
import datetime
import hashlib
import json
import os
import sys
import urllib.request

import boto3
import botocore.config
import botocore.exceptions

ENDPOINT = os.environ["BACKUPSTORAGE_ENDPOINT"]
JOB = os.environ["BACKUPSTORAGE_JOB"]
CONFIG = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
CHECKS = 0


def client(**kwargs):
    return boto3.client(
        "backupstorage", endpoint_url=ENDPOINT, region_name="us-east-1", config=CONFIG, **kwargs
    )


def check(condition, message):
    global CHECKS
    CHECKS += 1
    assert condition, message


def b64sha(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def summary(chunks):
    return base64.b64encode(
        hashlib.sha256(b"".join(hashlib.sha256(c).digest() for c in chunks)).digest()
    ).decode()


def expect_error(codes, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as error:
        code = error.response["Error"]["Code"]
        check(code in codes, f"expected one of {codes}, got {code}: {error}")
        return error
    raise AssertionError(f"expected {codes} from {fn.__name__}")


bs = client()

# --- multi-chunk upload: start_object / put_chunk x n / notify_object_complete
NAME = "dir/sub dir/file+plus~tilde é日本.bin"
chunks = [os.urandom(1000), os.urandom(1000), b"tail bytes"]
upload = bs.start_object(BackupJobId=JOB, ObjectName=NAME, ThrowOnDuplicate=True)["UploadId"]
check(isinstance(upload, str) and upload, "UploadId")
for index, data in enumerate(chunks):
    out = bs.put_chunk(
        BackupJobId=JOB, UploadId=upload, ChunkIndex=index, Data=data,
        Length=len(data), Checksum=b64sha(data), ChecksumAlgorithm="SHA256",
    )
    check(out["ChunkChecksum"] == b64sha(data), "ChunkChecksum")
    check(out["ChunkChecksumAlgorithm"] == "SHA256", "ChunkChecksumAlgorithm")

# error: a chunk whose checksum does not match its bytes
expect_error(
    {"IllegalArgumentException"}, bs.put_chunk,
    BackupJobId=JOB, UploadId=upload, ChunkIndex=3, Data=b"abc", Length=3,
    Checksum=b64sha(b"abd"), ChecksumAlgorithm="SHA256",
)

META = "v1;naïve=日本"
BLOB = os.urandom(3000)
done = bs.notify_object_complete(
    BackupJobId=JOB, UploadId=upload, ObjectChecksum=summary(chunks),
    ObjectChecksumAlgorithm="SUMMARY", MetadataString=META, MetadataBlob=BLOB,
    MetadataBlobLength=len(BLOB), MetadataBlobChecksum=b64sha(BLOB),
    MetadataBlobChecksumAlgorithm="SHA256",
)
check(done["ObjectChecksum"] == summary(chunks), "NotifyObjectComplete checksum")
check(done["ResponseMetadata"]["HTTPStatusCode"] == 200, "status 200")
check(len(done["ResponseMetadata"]["RequestId"]) == 36, "x-amzn-RequestId parsed")

# error: completing an unknown upload
expect_error(
    {"ResourceNotFoundException", "IllegalArgumentException"}, bs.notify_object_complete,
    BackupJobId=JOB, UploadId="no-such-upload", ObjectChecksum=summary([]),
    ObjectChecksumAlgorithm="SUMMARY",
)

# --- put_object: several small objects for listing
created_before_puts = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
for name in ["list/a", "list/b", "list/c", "list/d e"]:
    body = name.encode() * 3
    out = bs.put_object(
        BackupJobId=JOB, ObjectName=name, InlineChunk=body, InlineChunkLength=len(body),
        InlineChunkChecksum=b64sha(body), InlineChunkChecksumAlgorithm="SHA256",
        ObjectChecksum=summary([body]), ObjectChecksumAlgorithm="SUMMARY",
        MetadataString="m-" + name,
    )
    check(out["InlineChunkChecksum"] == b64sha(body), "InlineChunkChecksum")
    check(out["ObjectChecksum"] == summary([body]), "PutObject ObjectChecksum")
empty = bs.put_object(BackupJobId=JOB, ObjectName="empty")
check(empty["ObjectChecksum"] == summary([]), "empty object checksum")

# error: duplicate with ThrowOnDuplicate carries the existing object's checksum
dup_body = b"other"
error = expect_error(
    {"DataAlreadyExistsException"}, bs.put_object,
    BackupJobId=JOB, ObjectName="list/a", InlineChunk=dup_body, InlineChunkLength=5,
    InlineChunkChecksum=b64sha(dup_body), InlineChunkChecksumAlgorithm="SHA256",
    ThrowOnDuplicate=True,
)
check(error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, "duplicate is 400")
check(error.response.get("Checksum") == summary([b"list/a" * 3]), f"Checksum in {error.response}")
check(error.response.get("ChecksumAlgorithm") == "SUMMARY", "ChecksumAlgorithm")
expect_error(
    {"DataAlreadyExistsException"}, bs.start_object,
    BackupJobId=JOB, ObjectName="list/b", ThrowOnDuplicate=True,
)

# --- list_objects: prefix, starting name, pagination, created filters
page1 = bs.list_objects(StorageJobId=JOB, StartingObjectPrefix="list/", MaxResults=2)
check([o["Name"] for o in page1["ObjectList"]] == ["list/a", "list/b"], f"page1 {page1}")
check("NextToken" in page1, "NextToken on a full page")
page2 = bs.list_objects(StorageJobId=JOB, NextToken=page1["NextToken"], MaxResults=2)
check([o["Name"] for o in page2["ObjectList"]] == ["list/c", "list/d e"], f"page2 {page2}")
if "NextToken" in page2:
    page3 = bs.list_objects(StorageJobId=JOB, NextToken=page2["NextToken"], MaxResults=2)
    check(page3["ObjectList"] == [] and "NextToken" not in page3, "page3 empty")
first = page1["ObjectList"][0]
check(first["ObjectChecksumAlgorithm"] == "SUMMARY" and first["ChunksCount"] == 1, "item fields")
check(first["MetadataString"] == "m-list/a", "MetadataString in listing")
starting = bs.list_objects(StorageJobId=JOB, StartingObjectName="list/c")
check([o["Name"] for o in starting["ObjectList"]] == ["list/c", "list/d e"], f"{starting}")
both = bs.list_objects(StorageJobId=JOB, StartingObjectPrefix="dir/", StartingObjectName="dir/")
check([o["Name"] for o in both["ObjectList"]] == [NAME], "prefix + starting name")
odd = bs.list_objects(StorageJobId=JOB, StartingObjectPrefix="x y+z&w=é/~*'()!%20;:@$,?#[]")
check(odd["ObjectList"] == [], "query values with special characters verify")
odd = bs.list_objects(StorageJobId=JOB, StartingObjectName="list/d e", MaxResults=1)
check([o["Name"] for o in odd["ObjectList"]] == ["list/d e"], "starting name with a space")
future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
check(bs.list_objects(StorageJobId=JOB, CreatedAfter=future)["ObjectList"] == [], "CreatedAfter")
everything = bs.list_objects(StorageJobId=JOB, CreatedBefore=future)["ObjectList"]
check(len(everything) == 6, f"CreatedBefore keeps all: {everything}")
recent = bs.list_objects(StorageJobId=JOB, CreatedAfter=created_before_puts)["ObjectList"]
check(len(recent) == 6, "CreatedAfter in the past keeps all")
past = bs.list_objects(StorageJobId=JOB, CreatedBefore=created_before_puts)["ObjectList"]
check(past == [], "CreatedBefore in the past keeps none")

# error: MaxResults 0, refused by the client's validation or by the service
try:
    bs.list_objects(StorageJobId=JOB, MaxResults=0)
    raise AssertionError("MaxResults=0 accepted")
except botocore.exceptions.ParamValidationError:
    check(True, "MaxResults 0 refused client-side")
except botocore.exceptions.ClientError as e:
    check(e.response["Error"]["Code"] == "IllegalArgumentException", "MaxResults 0 refused")

# --- list_chunks with pagination, get_chunk, get_object_metadata
token = [o for o in everything if o["Name"] == NAME][0]["ObjectToken"]
c1 = bs.list_chunks(StorageJobId=JOB, ObjectToken=token, MaxResults=2)
check([c["Index"] for c in c1["ChunkList"]] == [0, 1] and "NextToken" in c1, f"{c1}")
c2 = bs.list_chunks(StorageJobId=JOB, ObjectToken=token, MaxResults=2, NextToken=c1["NextToken"])
check([c["Index"] for c in c2["ChunkList"]] == [2], f"{c2}")
listed = c1["ChunkList"] + c2["ChunkList"]
for chunk, data in zip(listed, chunks):
    check(chunk["Length"] == len(data) and chunk["Checksum"] == b64sha(data), "chunk entry")
    got = bs.get_chunk(StorageJobId=JOB, ChunkToken=chunk["ChunkToken"])
    check(got["Data"].read() == data, "GetChunk bytes")
    check(got["Length"] == len(data), "GetChunk Length")
    check(got["Checksum"] == b64sha(data) and got["ChecksumAlgorithm"] == "SHA256", "GetChunk")

expect_error(
    {"ResourceNotFoundException", "IllegalArgumentException"}, bs.get_chunk,
    StorageJobId=JOB, ChunkToken="no-such-token",
)

meta = bs.get_object_metadata(StorageJobId=JOB, ObjectToken=token)
# Header bytes are UTF-8; botocore decodes header bytes as latin-1.
check(meta["MetadataString"].encode("latin-1").decode("utf-8") == META, f"{meta}")
check(meta["MetadataBlob"].read() == BLOB, "MetadataBlob bytes")
check(meta["MetadataBlobLength"] == len(BLOB), "MetadataBlobLength")
check(meta["MetadataBlobChecksum"] == b64sha(BLOB), "MetadataBlobChecksum")
check(meta["MetadataBlobChecksumAlgorithm"] == "SHA256", "MetadataBlobChecksumAlgorithm")
small_token = first["ObjectToken"]
small = bs.get_object_metadata(StorageJobId=JOB, ObjectToken=small_token)
check(small["MetadataString"] == "m-list/a", "ASCII metadata string")
check(small["MetadataBlob"].read() == b"", "no blob")

# --- presigned URL for get_chunk, fetched with urllib
url = bs.generate_presigned_url(
    "get_chunk", Params={"StorageJobId": JOB, "ChunkToken": listed[2]["ChunkToken"]},
    ExpiresIn=300,
)
check("X-Amz-Signature=" in url, "presigned URL")
with urllib.request.urlopen(url) as response:
    check(response.status == 200, "presigned status")
    check(response.read() == chunks[2], "presigned GetChunk bytes")
tampered = url.replace("X-Amz-Expires=300", "X-Amz-Expires=301")
try:
    urllib.request.urlopen(tampered)
    raise AssertionError("tampered presigned URL accepted")
except urllib.error.HTTPError as e:
    check(e.code == 403 and e.headers["x-amzn-ErrorType"] == "AccessDeniedException", "403")

# --- delete_object
bs.delete_object(BackupJobId=JOB, ObjectName="list/b")
names = [o["Name"] for o in bs.list_objects(StorageJobId=JOB)["ObjectList"]]
check("list/b" not in names and len(names) == 5, f"after delete: {names}")
try:  # deleting again: the store may treat it as done or as not found
    bs.delete_object(BackupJobId=JOB, ObjectName="list/b")
except botocore.exceptions.ClientError as e:
    check(e.response["Error"]["Code"] == "ResourceNotFoundException", "delete again")

# --- wrong secret: AccessDeniedException, nothing stored
wrong = client(
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong-secret"
)
error = expect_error({"AccessDeniedException"}, wrong.list_objects, StorageJobId=JOB)
check(error.response["ResponseMetadata"]["HTTPStatusCode"] == 403, "403")
expect_error(
    {"AccessDeniedException"}, wrong.put_object, BackupJobId=JOB, ObjectName="forged",
    InlineChunk=b"x", InlineChunkLength=1, InlineChunkChecksum=b64sha(b"x"),
    InlineChunkChecksumAlgorithm="SHA256",
)
names = [o["Name"] for o in bs.list_objects(StorageJobId=JOB)["ObjectList"]]
check("forged" not in names, "forged object not stored")

print(json.dumps({"checks": CHECKS, "names": names, "multiChunk": NAME}))
