import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHmac } from "node:crypto";
import { HmacSha256 } from "../../../src/storage/store/hmac_sha256.ts";
import { seededBytes } from "./support/store_fixtures.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("HmacSha256: RFC 4231 test cases 1, 2 and 6 (long key)", () => {
  const encoder = new TextEncoder();
  assertEquals(
    hex(new HmacSha256(new Uint8Array(20).fill(0x0b)).mac(encoder.encode("Hi There"))),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  );
  assertEquals(
    hex(new HmacSha256(encoder.encode("Jefe")).mac(encoder.encode("what do ya want for nothing?"))),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
  assertEquals(
    hex(
      new HmacSha256(new Uint8Array(131).fill(0xaa)).mac(
        encoder.encode("Test Using Larger Than Block-Size Key - Hash Key First"),
      ),
    ),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  );
});

Deno.test("HmacSha256: equals node:crypto createHmac for every message length 0–300 and key lengths 1–130", () => {
  for (let length = 0; length <= 300; length++) {
    const key = seededBytes(`key ${length}`, 1 + (length * 7) % 130);
    const message = seededBytes(`message ${length}`, length);
    const hmac = new HmacSha256(key);
    const expected = new Uint8Array(createHmac("sha256", key).update(message).digest());
    assertEquals(hmac.mac(message), expected);
    // The same instance again (its scratch state must not leak into the next MAC).
    assertEquals(hmac.mac(message), expected);
  }
});

Deno.test("HmacSha256.macInto: the first out.byteLength bytes of the MAC, for every length 0–32", () => {
  const hmac = new HmacSha256(seededBytes("key", 32));
  const message = seededBytes("message", 14);
  const full = hmac.mac(message);
  for (let length = 0; length <= 32; length++) {
    const out = new Uint8Array(length + 3).fill(0xee);
    hmac.macInto(message, out.subarray(0, length));
    assertEquals(out.subarray(0, length), full.subarray(0, length));
    assertEquals(out.subarray(length), new Uint8Array(3).fill(0xee), "nothing written past out");
  }
});
