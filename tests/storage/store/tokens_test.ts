import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  IllegalArgumentException,
  ResourceNotFoundException,
} from "../../../src/storage/errors.ts";
import { TokenKind, TokenSigner } from "../../../src/storage/store/tokens.ts";
import { assertRejects, seededBytes, tamper, uploadObject, withStore } from "./helpers.ts";

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
  await withStore(async (store, { dir }) => {
    await uploadObject(store, JOB, "x", [seededBytes("x", 5)]);
    const secret = await Deno.readFile(`${dir}/token-secret`);
    const signer = new TokenSigner(secret);
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
