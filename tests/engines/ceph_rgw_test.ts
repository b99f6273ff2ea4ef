// The throwaway Ceph RGW of tests/support/engines/: it starts, answers S3 through
// the official SDK (conditional PutObject with If-None-Match: *, GetObject), and
// stop() leaves no daemon and no files.

import assert from "node:assert/strict";
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "../../deps/aws_s3.ts";
import { startCephRgw } from "../support/engines/ceph_rgw.ts";
import { processAlive, processesMatching } from "../support/engines/_process.ts";

Deno.test("Ceph RGW: a throwaway gateway stores an object once under If-None-Match: *, and stop() removes it", async () => {
  const rgw = await startCephRgw();
  const s3 = new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    forcePathStyle: true,
    // RGW refuses the SDK's default aws-chunked checksum uploads (411).
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  try {
    assert.match(rgw.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(rgw.pids.length, 3);
    const running = await processesMatching(rgw.dir);
    for (const pid of rgw.pids) assert.ok(running.includes(pid), `daemon ${pid} runs`);

    await rgw.createBucket("engines-test");
    const bytes = new TextEncoder().encode("hello, ceph");
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: "engines-test",
        Key: "a/b.txt",
        Body: bytes,
        IfNoneMatch: "*",
      }),
    );
    assert.equal(put.$metadata.httpStatusCode, 200);
    const refused = await s3.send(
      new PutObjectCommand({
        Bucket: "engines-test",
        Key: "a/b.txt",
        Body: new TextEncoder().encode("other"),
        IfNoneMatch: "*",
      }),
    ).then(() => undefined, (error) => error);
    assert.ok(refused instanceof S3ServiceException, `refused: ${refused}`);
    assert.equal(refused.$metadata.httpStatusCode, 412);

    const got = await s3.send(new GetObjectCommand({ Bucket: "engines-test", Key: "a/b.txt" }));
    assert.deepEqual(await got.Body!.transformToByteArray(), bytes);
  } finally {
    s3.destroy();
    await rgw.stop();
  }
  assert.deepEqual(await processesMatching(rgw.dir), []);
  for (const pid of rgw.pids) assert.equal(await processAlive(pid), false, `daemon ${pid} ended`);
  await assert.rejects(Deno.stat(rgw.dir), Deno.errors.NotFound);
  await rgw.stop(); // idempotent
});

Deno.test("Ceph RGW: wrong keys are refused (RGW checks SigV4 against its own users)", async () => {
  await using rgw = await startCephRgw({ accessKeyId: "right", secretAccessKey: "right-secret" });
  const s3 = new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    credentials: { accessKeyId: "wrong", secretAccessKey: "wrong-secret" },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  try {
    await rgw.createBucket("keys-test");
    const error = await s3.send(
      new PutObjectCommand({ Bucket: "keys-test", Key: "k", Body: new Uint8Array([1]) }),
    ).then(() => undefined, (error) => error);
    assert.ok(error instanceof S3ServiceException, `refused: ${error}`);
    assert.equal(error.$metadata.httpStatusCode, 403);
  } finally {
    s3.destroy();
  }
});

Deno.test("Ceph RGW: missing binaries name the Debian packages", async () => {
  await assert.rejects(
    startCephRgw({ binDir: "/nonexistent/ceph/bin" }),
    /install the Debian packages "radosgw ceph-mon ceph-osd"/,
  );
});
