// Chunk and SUMMARY checksums, checked against an independent implementation
// (Web Crypto) and published SHA-256 vectors.

import { inlineChunkMembers } from "../support/inline_chunk.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  checksumToDigest,
  chunkChecksum,
  ChunkHasher,
  decodeBase64,
  encodeBase64,
  sha256,
  summaryChecksum,
  SummaryHasher,
} from "../../src/storage/checksum.ts";
import { EmbeddedStore } from "../../src/storage/store/mod.ts";
import { BackupFS } from "../../src/fs/mod.ts";

const text = (s: string) => new TextEncoder().encode(s);

async function webSha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

Deno.test("chunkChecksum is base64 of SHA-256 (FIPS 180-2 vectors)", () => {
  assertEquals(chunkChecksum(text("abc")), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  assertEquals(chunkChecksum(new Uint8Array()), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  assertEquals(
    chunkChecksum(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    encodeBase64(decodeHex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")),
  );
});

Deno.test("SUMMARY is SHA-256 over the raw chunk digests in index order", async () => {
  const chunks = [text("first chunk"), text("second"), new Uint8Array(1000).fill(7)];
  const digests = await Promise.all(chunks.map(webSha256));
  const joined = new Uint8Array(32 * digests.length);
  digests.forEach((d, i) => joined.set(d, 32 * i));
  const expected = encodeBase64(await webSha256(joined));
  assertEquals(summaryChecksum(chunks.map(sha256)), expected);
  // Order matters.
  assert(summaryChecksum([...chunks].reverse().map(sha256)) !== expected);
  // Incremental form agrees.
  const s = new SummaryHasher();
  for (const c of chunks) s.add(sha256(c));
  assertEquals(s.count, 3);
  assertEquals(s.checksum(), expected);
  assertThrows(() => s.add(sha256(chunks[0])), Error, "after checksum");
});

Deno.test("SUMMARY of an object without chunks is the SHA-256 of empty input", () => {
  assertEquals(summaryChecksum([]), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
});

Deno.test("SummaryHasher refuses anything but a 32-byte digest", () => {
  assertThrows(() => new SummaryHasher().add(new Uint8Array(31)), RangeError, "32 bytes");
});

Deno.test("ChunkHasher over pieces equals one-shot hashing", async () => {
  const data = crypto.getRandomValues(new Uint8Array(65536));
  const h = new ChunkHasher();
  for (let i = 0; i < data.length; i += 1000) h.update(data.subarray(i, i + 1000));
  assertEquals(h.length, data.length);
  assertEquals(h.digest(), await webSha256(data));
  assertEquals(h.checksum(), chunkChecksum(data));
  assertThrows(() => h.update(data), Error, "after digest");
});

Deno.test("checksumToDigest accepts only canonical base64 of 32 bytes", () => {
  const good = chunkChecksum(text("x"));
  assertEquals(checksumToDigest(good), sha256(text("x")));
  assertEquals(checksumToDigest(good.slice(0, -1)), undefined);
  assertEquals(checksumToDigest(good.replace("=", "A")), undefined);
  assertEquals(checksumToDigest(encodeBase64(new Uint8Array(31))), undefined);
  assertEquals(checksumToDigest(encodeBase64(new Uint8Array(33))), undefined);
  assertEquals(checksumToDigest(" " + good), undefined);
  // A non-canonical last character (one of the two unused low bits set) is refused.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const last = good.length - 2;
  const twisted = good.slice(0, last) + alphabet[alphabet.indexOf(good[last]) ^ 1] + "=";
  assertEquals(checksumToDigest(twisted), undefined);
});

Deno.test("base64 round-trips large buffers and refuses bad text", () => {
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7919) & 255);
  assertEquals(decodeBase64(encodeBase64(big)), big);
  assertEquals(encodeBase64(big.subarray(5, 8)), encodeBase64(new Uint8Array(big.subarray(5, 8))));
  assertThrows(() => decodeBase64("abc"), TypeError);
  assertThrows(() => decodeBase64("ab$="), TypeError);
});

function decodeHex(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

Deno.test("the write and read paths hash every size by node:crypto (no Web Crypto copy), checksums equal to sha256's, concurrent writes in any order", async () => {
  const sizes = [0, 1, 64 * 1024, 256 * 1024 - 1, 256 * 1024, 512 * 1024 + 3, 4 * 1024 * 1024];
  const buffers = sizes.map((size, i) => {
    const bytes = new Uint8Array(size);
    for (let j = 0; j < size; j += 4096) bytes[j] = (i * 31 + j) & 0xff;
    return bytes;
  });
  const dir = await Deno.makeTempDir();
  const subtle = crypto.subtle;
  const original = subtle.digest;
  let webCryptoCalls = 0;
  subtle.digest = function () {
    webCryptoCalls++;
    return Promise.reject(new Error("Web Crypto must not be used"));
  };
  try {
    await using store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
    // BackupFS (the store hashes each object), and PutObject with checksums sent (the
    // store checks them), side by side.
    const fs = new BackupFS(store, { jobId: "j" });
    await Promise.all(buffers.map((b, i) => fs.writeFile(`/f${i}`, b)));
    const outputs = await Promise.all(buffers.map((b, i) =>
      store.putObject({
        BackupJobId: "j",
        ObjectName: `sent${i}`,
        ...inlineChunkMembers(b),
      })
    ));
    for (const [i, b] of buffers.entries()) {
      const digests = b.byteLength > 0 ? [sha256(b)] : [];
      assertEquals(outputs[i].ObjectChecksum, summaryChecksum(digests));
      assertEquals((await fs.stat(`/f${i}`)).etag, summaryChecksum(digests));
      assertEquals(await new BackupFS(store, { jobId: "j" }).readFile(`/f${i}`), b);
    }
    assertEquals(webCryptoCalls, 0);
    assertEquals(
      encodeBase64(sha256(new TextEncoder().encode("abc"))),
      "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
    );
  } finally {
    subtle.digest = original;
    await Deno.remove(dir, { recursive: true });
  }
});
