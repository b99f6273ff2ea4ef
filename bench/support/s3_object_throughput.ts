/**
 * An S3-compatible service's own PUT and GET throughput (Ceph RGW in the
 * gateway benchmark): the chunks of a {@link WorkloadPayload}'s large object as
 * objects of their own, written then read back with `@aws-sdk/client-s3` — the
 * raw figure a gateway keeping its chunks there is compared with.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { GetObjectCommand, PutObjectCommand, S3Client } from "../../deps/aws_s3.ts";
import { mbPerSecond, timed } from "./bench_report.ts";
import { runBounded } from "./run_bounded.ts";
import type { WorkloadPayload } from "./workload_payload.ts";

/** Where the objects go and the keys to sign with. */
export interface S3BenchTarget {
  /** The service's URL (path-style addressing), e.g. `http://127.0.0.1:7480`. */
  endpoint: string;
  /** The SigV4 region. */
  region: string;
  /** The S3 user's access key. */
  accessKeyId: string;
  /** The S3 user's secret key. */
  secretAccessKey: string;
  /** An existing bucket. */
  bucket: string;
  /** Prepended to each object's key (`raw/` gives `raw/000000` …). */
  prefix: string;
}

/** Options of {@link measureS3PutGet}. */
export interface S3PutGetOptions {
  /** Requests in flight at once (default 4). */
  inFlight?: number;
  /**
   * Runs each timed phase (`"put"`, `"get"`): e.g. to read the CPU time the
   * processes used around it. Default: runs it.
   */
  aroundPhase?: <T>(phase: string, work: () => Promise<T>) => Promise<T>;
}

/** Megabytes per second of the PUTs, then of the GETs. */
export interface S3PutGetFigures {
  /** PUT of every chunk as its own object. */
  putMBps: number;
  /** GET of them all (bodies read whole, lengths checked). */
  getMBps: number;
}

/**
 * PUTs each chunk of `payload`'s large object as an object of its own, then GETs
 * them all (each body read whole and its length checked; the first and last
 * compared byte for byte after the clock stops), `inFlight` requests at a time;
 * resolves to MB/s of each. Bodies are `Uint8Array`s and checksums are sent only when required
 * (Ceph RGW refuses the SDK's default `aws-chunked` uploads).
 *
 * @example
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { startCephRgw } from "../../tests/support/engines/ceph_rgw.ts";
 * import { measureS3PutGet } from "./s3_object_throughput.ts";
 * import { WorkloadPayload } from "./workload_payload.ts";
 *
 * await using rgw = await startCephRgw();
 * await rgw.createBucket("bench");
 * const payload = new WorkloadPayload({ chunks: 8, chunkBytes: 1 << 20, smallObjects: 0, smallBytes: 16 });
 * const figures = await measureS3PutGet({ ...rgw, bucket: "bench", prefix: "raw/" }, payload);
 * assert.ok(figures.putMBps > 0 && figures.getMBps > 0);
 * ```
 *
 * (Not run by `--doc`, it needs Ceph: `deno task bench:gateway-engines --quick` runs this code.)
 */
export async function measureS3PutGet(
  target: S3BenchTarget,
  payload: WorkloadPayload,
  options?: S3PutGetOptions,
): Promise<S3PutGetFigures> {
  const inFlight = options?.inFlight ?? 4;
  const around = options?.aroundPhase ?? ((_phase, work) => work());
  const { chunks, chunkBytes } = payload.options;
  const s3 = new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
  });
  const key = (index: number) => `${target.prefix}${String(index).padStart(6, "0")}`;
  try {
    // One request before the clock starts: the SDK's first use loads and sets up.
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: `${target.prefix}warm-up`,
        Body: new Uint8Array(16),
      }),
    );
    const put = await around(
      "put",
      () =>
        timed(() =>
          runBounded(chunks, inFlight, async (index) => {
            await s3.send(
              new PutObjectCommand({
                Bucket: target.bucket,
                Key: key(index),
                Body: payload.chunk(index),
              }),
            );
          })
        ),
    );
    let bytes = 0;
    const get = await around(
      "get",
      () =>
        timed(() =>
          runBounded(chunks, inFlight, async (index) => {
            const out = await s3.send(
              new GetObjectCommand({ Bucket: target.bucket, Key: key(index) }),
            );
            const body = await out.Body!.transformToByteArray();
            if (body.length !== chunkBytes) {
              throw new Error(`GET ${key(index)}: ${body.length} bytes, expected ${chunkBytes}`);
            }
            bytes += body.length;
          })
        ),
    );
    if (bytes !== payload.largeObjectBytes) {
      throw new Error(`GET read ${bytes} bytes, expected ${payload.largeObjectBytes}`);
    }
    // The first and last objects again, compared byte for byte (after the clock).
    for (const index of new Set([0, chunks - 1].filter((i) => i >= 0))) {
      const out = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: key(index) }));
      if (!sameBytes(await out.Body!.transformToByteArray(), payload.chunk(index))) {
        throw new Error(`GET ${key(index)}: the bytes differ from those put`);
      }
    }
    return {
      putMBps: mbPerSecond(payload.largeObjectBytes, put.ms),
      getMBps: mbPerSecond(payload.largeObjectBytes, get.ms),
    };
  } finally {
    s3.destroy();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
