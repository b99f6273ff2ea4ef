import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  IllegalArgumentException,
  ResourceNotFoundException,
} from "../../../src/storage/errors.ts";
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { loadTokenSecret } from "../../../src/storage/store/token_secret.ts";
import {
  MAX_CACHED_TOKENS,
  packIds,
  TokenKind,
  TokenSigner,
  unpackIds,
} from "../../../src/storage/store/tokens.ts";
import {
  assertRejects,
  seededBytes,
  tamper,
  uploadObject,
  withStore,
} from "./support/store_fixtures.ts";

const JOB = "tok-job";

Deno.test("TokenSigner: kind, job and every byte are bound", () => {
  const signer = new TokenSigner(seededBytes("secret", 32));
  const other = new TokenSigner(seededBytes("other secret", 32));
  const payload = new Uint8Array([1, 2, 3, 4]);
  const token = signer.sign(TokenKind.Chunk, JOB, payload);
  assertEquals(signer.verify(TokenKind.Chunk, JOB, token), payload);
  assertEquals(signer.verify(TokenKind.Object, JOB, token), undefined);
  assertEquals(signer.verify(TokenKind.Chunk, "other", token), undefined);
  assertEquals(other.verify(TokenKind.Chunk, JOB, token), undefined);
  for (let at = 0; at < token.length; at++) {
    assertEquals(signer.verify(TokenKind.Chunk, JOB, tamper(token, at)), undefined);
  }
  assertEquals(signer.verify(TokenKind.Chunk, JOB, token.slice(0, -1)), undefined);
  assertEquals(signer.verify(TokenKind.Chunk, JOB, 42), undefined);
  assertEquals(signer.verify(TokenKind.Chunk, JOB, "a+b/"), undefined);
});

Deno.test("ObjectToken, ChunkToken and ListChunks NextToken: tampered or foreign → IllegalArgument", async () => {
  await withStore(async (store) => {
    const chunks = [seededBytes("1", 10), seededBytes("2", 10), seededBytes("3", 10)];
    await uploadObject(store, JOB, "obj", chunks);
    await uploadObject(store, "foreign", "obj", chunks);
    const object = (await store.listObjects({ StorageJobId: JOB })).ObjectList[0];
    const foreign = (await store.listObjects({ StorageJobId: "foreign" })).ObjectList[0];
    const page = await store.listChunks({
      StorageJobId: JOB,
      ObjectToken: object.ObjectToken,
      MaxResults: 1,
    });
    assertEquals(page.ChunkList.map((c) => c.Index), [0]);
    const chunkToken = page.ChunkList[0].ChunkToken;
    const next = page.NextToken!;
    assert(next);

    await assertRejects(
      store.listChunks({ StorageJobId: JOB, ObjectToken: tamper(object.ObjectToken) }),
      IllegalArgumentException,
      /ObjectToken/,
    );
    await assertRejects(
      store.getObjectMetadata({ StorageJobId: JOB, ObjectToken: tamper(object.ObjectToken, 3) }),
      IllegalArgumentException,
      /ObjectToken/,
    );
    await assertRejects(
      store.listChunks({ StorageJobId: JOB, ObjectToken: foreign.ObjectToken }),
      IllegalArgumentException,
      /ObjectToken/,
    );
    await assertRejects(
      store.getChunk({ StorageJobId: JOB, ChunkToken: tamper(chunkToken) }),
      IllegalArgumentException,
      /ChunkToken/,
    );
    await assertRejects(
      store.getChunk({ StorageJobId: "foreign", ChunkToken: chunkToken }),
      IllegalArgumentException,
      /ChunkToken/,
    );
    await assertRejects(
      store.getChunk({ StorageJobId: JOB, ChunkToken: object.ObjectToken }),
      IllegalArgumentException,
    );
    await assertRejects(
      store.listChunks({
        StorageJobId: JOB,
        ObjectToken: object.ObjectToken,
        NextToken: tamper(next),
      }),
      IllegalArgumentException,
      /NextToken/,
    );
    // A chunk-list token of one version does not continue another version's list.
    const foreignPage = await store.listChunks({
      StorageJobId: "foreign",
      ObjectToken: foreign.ObjectToken,
      MaxResults: 1,
    });
    await assertRejects(
      store.listChunks({
        StorageJobId: JOB,
        ObjectToken: object.ObjectToken,
        NextToken: foreignPage.NextToken,
      }),
      IllegalArgumentException,
    );
    // Pagination with MaxResults 1 walks every chunk.
    const indexes: number[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const out = await store.listChunks({
        StorageJobId: JOB,
        ObjectToken: object.ObjectToken,
        MaxResults: 1,
        NextToken: token,
      });
      indexes.push(...out.ChunkList.map((c) => c.Index));
      token = out.NextToken;
      if (!token) break;
    }
    assertEquals(indexes, [0, 1, 2]);
    await assertRejects(
      store.listChunks({ StorageJobId: JOB, ObjectToken: object.ObjectToken, MaxResults: 101 }),
      IllegalArgumentException,
      /MaxResults/,
    );
  });
});

Deno.test("a well-formed token of an unknown version is not found", async () => {
  await withStore(async (store) => {
    await uploadObject(store, JOB, "x", [seededBytes("x", 5)]);
    const signer = new TokenSigner(await loadTokenSecret(store.metadataStore));
    const unknown = new Uint8Array(8);
    new DataView(unknown.buffer).setBigUint64(0, 999_999n);
    await assertRejects(
      store.listChunks({
        StorageJobId: JOB,
        ObjectToken: signer.sign(TokenKind.Object, JOB, unknown),
      }),
      ResourceNotFoundException,
    );
  });
});

/** A token as the first TokenSigner (createHmac per token) made it. */
function referenceToken(secret: Uint8Array, kind: number, job: string, payload: Uint8Array) {
  const jobBytes = new TextEncoder().encode(job);
  const hmac = createHmac("sha256", secret);
  hmac.update(new Uint8Array([kind, jobBytes.byteLength & 0xff, jobBytes.byteLength >> 8]));
  hmac.update(jobBytes);
  hmac.update(payload);
  const mac = hmac.digest().subarray(0, 16);
  return Buffer.concat([Buffer.from([kind]), Buffer.from(payload), mac]).toString("base64url");
}

Deno.test("TokenSigner: tokens are byte-identical to the createHmac construction, so existing ones verify", () => {
  const secret = seededBytes("compat secret", 32);
  const signer = new TokenSigner(secret);
  const jobs = ["j", JOB, "é-job", "x".repeat(300)];
  for (let n = 0; n < 120; n++) {
    const job = jobs[n % jobs.length];
    const kind = ([TokenKind.Object, TokenKind.Chunk, TokenKind.ObjectPage] as const)[n % 3];
    const payload = seededBytes(`payload ${n}`, n);
    const expected = referenceToken(secret, kind, job, payload);
    assertEquals(signer.sign(kind, job, payload), expected);
    assertEquals(signer.verify(kind, job, expected), payload);
  }
  // More jobs than the signer keeps headers for: still the same tokens.
  for (let n = 0; n < 100; n++) {
    const payload = packIds(n);
    assertEquals(
      signer.sign(TokenKind.Object, `job-${n}`, payload),
      referenceToken(secret, TokenKind.Object, `job-${n}`, payload),
    );
  }
});

Deno.test("packIds: big-endian 64-bit id (as setBigUint64 wrote it) and 32-bit index", () => {
  const ids = [
    0,
    1,
    255,
    256,
    2 ** 31,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 40 + 12345,
    Number.MAX_SAFE_INTEGER,
  ];
  for (const id of ids) {
    const expected = new Uint8Array(12);
    const view = new DataView(expected.buffer);
    view.setBigUint64(0, BigInt(id));
    view.setUint32(8, 77);
    assertEquals(packIds(id), expected.subarray(0, 8));
    assertEquals(packIds(id, 77), expected);
    assertEquals(unpackIds(packIds(id), 1), [id]);
    assertEquals(unpackIds(packIds(id, 77), 2), [id, 77]);
  }
  for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
    let threw = false;
    try {
      packIds(bad);
    } catch (error) {
      threw = error instanceof RangeError;
    }
    assert(threw, `packIds(${bad}) must throw a RangeError`);
  }
});

Deno.test("TokenSigner: remembered tokens stay exact through cache turnover, per kind, job and payload", () => {
  const secret = seededBytes("cache secret", 32);
  const signer = new TokenSigner(secret);
  const total = MAX_CACHED_TOKENS + 500;
  const first = new Map<number, string>();
  for (let id = 0; id < total; id++) {
    const token = signer.sign(TokenKind.Object, JOB, packIds(id));
    if (id % 997 === 0) first.set(id, token);
  }
  for (const [id, token] of first) {
    // Remembered or not, the same token, and the one the reference construction makes.
    assertEquals(signer.sign(TokenKind.Object, JOB, packIds(id)), token);
    assertEquals(token, referenceToken(secret, TokenKind.Object, JOB, packIds(id)));
    assertEquals(signer.verify(TokenKind.Object, JOB, token), packIds(id));
  }
  // Same payload, other kind or job or length: other tokens (no cache key collision).
  const payload = packIds(5);
  const seen = new Set([
    signer.sign(TokenKind.Object, JOB, payload),
    signer.sign(TokenKind.Chunk, JOB, payload),
    signer.sign(TokenKind.Object, `${JOB}x`, payload),
    signer.sign(TokenKind.Object, JOB, packIds(5, 0)),
    signer.sign(TokenKind.Object, JOB, payload.subarray(0, 7)),
  ]);
  assertEquals(seen.size, 5);
  assertEquals(
    signer.sign(TokenKind.Chunk, JOB, packIds(5, 0)),
    referenceToken(secret, TokenKind.Chunk, JOB, packIds(5, 0)),
  );
});
