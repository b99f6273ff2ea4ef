import { DEFAULT_SPOOL_MAX_BYTES, Spool, SpoolFullError } from "../../src/fs/spool.ts";
import { ObjectWriter } from "../../src/fs/object_writer.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../support/assert.ts";
import {
  expectedSummary,
  openTestStore,
  patternBytes,
  readCurrent,
} from "./support/write_fixtures.ts";

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  for await (const piece of stream) pieces.push(piece);
  return pieces;
}

function concat(pieces: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A tiny seeded PRNG (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

Deno.test("Spool: random writes, reads and truncates match a Uint8Array model", async () => {
  const parent = await Deno.makeTempDir({ prefix: "spool-test-" });
  try {
    for (const seed of [1, 2, 3]) {
      const rand = random(seed);
      const maxBytes = 300_000;
      await using spool = await Spool.create({ directory: parent, maxBytes });
      let model = new Uint8Array(0);
      for (let step = 0; step < 250; step++) {
        const op = rand(10);
        if (op < 5) {
          const position = rand(200_000);
          const bytes = patternBytes(1 + rand(20_000), seed * 1000 + step);
          await spool.writeAt(position, bytes);
          const end = position + bytes.byteLength;
          if (end > model.byteLength) {
            const grown = new Uint8Array(end);
            grown.set(model);
            model = grown;
          }
          model.set(bytes, position);
        } else if (op < 8) {
          const position = rand(model.byteLength + 100);
          const buffer = new Uint8Array(1 + rand(30_000)).fill(0xaa);
          const n = await spool.readAt(position, buffer);
          if (position >= model.byteLength) {
            assertEquals(n, null, `seed ${seed} step ${step}: read at ${position} past the end`);
          } else {
            const expected = model.subarray(position, position + buffer.byteLength);
            assertEquals(n, expected.byteLength);
            assertEquals(buffer.subarray(0, n!), expected, `seed ${seed} step ${step}`);
          }
        } else {
          const size = rand(220_000);
          await spool.truncate(size);
          const next = new Uint8Array(size);
          next.set(model.subarray(0, Math.min(size, model.byteLength)));
          model = next;
        }
        assertEquals(spool.size, model.byteLength, `seed ${seed} step ${step}: size`);
      }
      assertEquals(concat(await collect(spool.stream({ pieceSize: 7777 }))), model);
    }
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("Spool: writing past the end zero-fills the gap; truncate grows with zeros", async () => {
  await using spool = await Spool.create();
  await spool.writeAt(10_000, new Uint8Array([1, 2, 3]));
  assertEquals(spool.size, 10_003);
  const buffer = new Uint8Array(10_003).fill(9);
  assertEquals(await spool.readAt(0, buffer), 10_003);
  assert(buffer.subarray(0, 10_000).every((b) => b === 0), "the gap reads as zeros");
  assertEquals(buffer.subarray(10_000), new Uint8Array([1, 2, 3]));
  await spool.truncate(10_001);
  await spool.truncate(10_005);
  const tail = new Uint8Array(10);
  assertEquals(await spool.readAt(10_000, tail), 5);
  assertEquals(tail.subarray(0, 5), new Uint8Array([1, 0, 0, 0, 0]));
  assertEquals(await spool.readAt(10_005, tail), null);
  assertEquals(await spool.readAt(5, new Uint8Array(0)), 0);
});

Deno.test("Spool: the size limit is a clear SpoolFullError and changes nothing", async () => {
  await using spool = await Spool.create({ maxBytes: 1000 });
  await spool.writeAt(0, patternBytes(1000));
  const error = await assertRejects(
    () => spool.writeAt(990, new Uint8Array(11)),
    SpoolFullError,
    "limited to 1000 bytes",
  );
  assertEquals(error.maxBytes, 1000);
  assertEquals(error.requestedBytes, 1001);
  await assertRejects(() => spool.writeAt(5000, new Uint8Array(1)), SpoolFullError);
  await assertRejects(() => spool.truncate(1001), SpoolFullError);
  assertEquals(spool.size, 1000);
  const all = new Uint8Array(1000);
  assertEquals(await spool.readAt(0, all), 1000);
  assertEquals(all, patternBytes(1000));
  assertEquals(DEFAULT_SPOOL_MAX_BYTES, 64 * 1024 ** 3);
});

Deno.test("Spool: a private 0600 file in its own directory, gone after close", async () => {
  const parent = await Deno.makeTempDir({ prefix: "spool-test-" });
  try {
    const spool = await Spool.create({ directory: parent });
    const directory = spool.directory;
    assert(directory.startsWith(parent), `${directory} is inside ${parent}`);
    const entries: string[] = [];
    for await (const entry of Deno.readDir(directory)) entries.push(entry.name);
    assertEquals(entries.length, 1);
    await spool.writeAt(0, new Uint8Array(10));
    if (Deno.build.os !== "windows") {
      const file = await Deno.stat(`${directory}/${entries[0]}`);
      assertEquals(file.mode! & 0o777, 0o600);
      const dir = await Deno.stat(directory);
      assertEquals(dir.mode! & 0o777, 0o700);
    }
    await spool.close();
    assertEquals(await exists(directory), false);
    await spool.close(); // idempotent
    await assertRejects(() => spool.writeAt(0, new Uint8Array(1)), Deno.errors.BadResource);
    await assertRejects(() => spool.readAt(0, new Uint8Array(1)), Deno.errors.BadResource);
    await assertRejects(() => spool.truncate(0), Deno.errors.BadResource);
    assertThrows(() => spool.stream(), Deno.errors.BadResource);
    {
      await using disposed = await Spool.create({ directory: parent });
      await disposed.writeAt(0, new Uint8Array(1));
    }
    const left: string[] = [];
    for await (const entry of Deno.readDir(parent)) left.push(entry.name);
    assertEquals(left, [], "await using removed the spool too");
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("Spool: a spool nobody closed is removed when the process exits", async () => {
  const parent = await Deno.makeTempDir({ prefix: "spool-test-" });
  try {
    const module = new URL("../../src/fs/spool.ts", import.meta.url).href;
    for (const ending of ["", "Deno.exit(0);"]) {
      const script = `
      import { Spool } from ${JSON.stringify(module)};
      const spool = await Spool.create({ directory: ${JSON.stringify(parent)} });
      await spool.writeAt(100, new Uint8Array([1]));
      console.log(spool.directory);
      ${ending}
    `;
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--quiet", "--no-config", script],
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert(output.success, `child failed: ${stderr}`);
      const directory = new TextDecoder().decode(output.stdout).trim();
      assert(directory.startsWith(parent), `child printed ${directory}`);
      assertEquals(await exists(directory), false, `the unload backstop removed it (${ending})`);
    }
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("Spool: stream yields exactly the content in pieces of pieceSize", async () => {
  await using spool = await Spool.create();
  assertEquals(await collect(spool.stream()), [], "an empty spool streams nothing");
  const data = patternBytes(100_003, 5);
  await spool.writeAt(50_000, data.subarray(50_000));
  await spool.writeAt(0, data.subarray(0, 50_000));
  for (const pieceSize of [1000, 4096, 100_003, 1_000_000]) {
    const pieces = await collect(spool.stream({ pieceSize }));
    assertEquals(concat(pieces), data);
    for (const piece of pieces.slice(0, -1)) assertEquals(piece.byteLength, pieceSize);
    assert(pieces.at(-1)!.byteLength <= pieceSize);
    assertEquals(pieces.length, Math.ceil(data.byteLength / pieceSize));
  }
  const defaultPieces = await collect(spool.stream());
  assertEquals(defaultPieces.length, 1);
  // Cancelling a stream midway is fine and leaves the spool usable.
  const reader = spool.stream({ pieceSize: 10 }).getReader();
  await reader.read();
  await reader.cancel();
  assertEquals(spool.size, data.byteLength);
});

Deno.test("Spool: out-of-range arguments are RangeError or TypeError", async () => {
  await using spool = await Spool.create();
  for (const position of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
    await assertRejects(
      () => spool.writeAt(position, new Uint8Array(1)),
      RangeError,
      "non-negative integer",
    );
    await assertRejects(() => spool.readAt(position, new Uint8Array(1)), RangeError, "position");
    await assertRejects(() => spool.truncate(position), RangeError, "size");
  }
  await assertRejects(
    () => spool.writeAt("1" as unknown as number, new Uint8Array(1)),
    TypeError,
    "number",
  );
  await assertRejects(() => spool.writeAt(0, [1] as unknown as Uint8Array), TypeError);
  await assertRejects(() => spool.readAt(0, null as unknown as Uint8Array), TypeError);
  assertThrows(() => spool.stream({ pieceSize: 0 }), RangeError, "pieceSize");
  assertThrows(() => spool.stream({ pieceSize: 2.5 }), RangeError, "pieceSize");
  await assertRejects(() => Spool.create({ maxBytes: -5 }), RangeError, "maxBytes");
  assertEquals(spool.size, 0);
});

Deno.test("Spool: operations issued without awaiting run in call order", async () => {
  await using spool = await Spool.create();
  const a = spool.writeAt(0, new Uint8Array([1, 1, 1, 1]));
  const b = spool.writeAt(2, new Uint8Array([2, 2, 2, 2]));
  const c = spool.truncate(5);
  const buffer = new Uint8Array(8);
  const d = spool.readAt(0, buffer);
  await Promise.all([a, b, c]);
  assertEquals(await d, 5);
  assertEquals(buffer.subarray(0, 5), new Uint8Array([1, 1, 2, 2, 2]));
});

Deno.test("Spool: streamed into an ObjectWriter, the object is byte-exact", async () => {
  await using t = await openTestStore();
  await using spool = await Spool.create();
  const data = patternBytes(50_000, 9);
  // Out-of-order writes, as a client seeking around would make them.
  for (const offset of [40_000, 0, 30_000, 10_000, 20_000]) {
    await spool.writeAt(offset, data.subarray(offset, offset + 10_000));
  }
  const writer = new ObjectWriter(t.store, {
    jobId: "fs-write-job",
    objectName: "spooled.bin",
    path: "/spooled.bin",
    chunkSize: 8192,
  });
  for await (const piece of spool.stream({ pieceSize: 5000 })) await writer.write(piece);
  const result = await writer.close();
  assertEquals(result.objectChecksum, expectedSummary(data, 8192));
  assertEquals((await readCurrent(t.store, "spooled.bin")).bytes, data);
});
