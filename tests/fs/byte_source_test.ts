import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { readPieces } from "../../src/fs/byte_source.ts";

function byteStream(pieces: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (next === pieces.length) {
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      controller.enqueue(pieces[next++].slice());
    },
    cancel() {
      onCancel?.();
    },
  });
}

async function collect(source: Parameters<typeof readPieces>[0], bufferSize?: number) {
  const pieces: Uint8Array[] = [];
  // A piece from a byte stream lives in a reused buffer: copy it.
  for await (const piece of readPieces(source, bufferSize ? { bufferSize } : {})) {
    pieces.push(piece.slice());
  }
  return pieces;
}

const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);
const concat = (pieces: Uint8Array[]) => new Uint8Array(pieces.flatMap((p) => [...p]));

Deno.test("readPieces: a byte stream is read whole, in pieces no larger than the buffer", async () => {
  const input = [bytes(5000, 1), bytes(10, 2), bytes(70_000, 3)];
  const pieces = await collect(byteStream(input), 4096);
  assertEquals(concat(pieces), concat(input));
  assert(pieces.every((p) => p.byteLength <= 4096), "pieces fit the buffer");
});

Deno.test("readPieces: Deno's own byte streams (a file) arrive in large pieces", async () => {
  const path = await Deno.makeTempFile();
  try {
    const data = bytes(3 * 1024 * 1024, 9);
    await Deno.writeFile(path, data);
    using file = await Deno.open(path);
    const pieces = await collect(file.readable);
    assertEquals(concat(pieces).byteLength, data.byteLength);
    assertEquals(concat(pieces), data);
    // 64 KiB pieces would be 48 of them; BYOB into a 1 MiB buffer needs far fewer.
    assert(pieces.length < 48, `${pieces.length} pieces`);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("readPieces: a default stream and an async iterable are read as they come", async () => {
  const input = [bytes(3, 1), bytes(0, 0), bytes(9, 2)];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of input) controller.enqueue(piece);
      controller.close();
    },
  });
  assertEquals(concat(await collect(stream)), concat(input));
  async function* iterable() {
    yield* input;
  }
  assertEquals(concat(await collect(iterable())), concat(input));
});

Deno.test("readPieces: stopping early cancels the stream; stream errors and bad pieces reject", async () => {
  let cancelled = 0;
  const stream = byteStream([bytes(10, 1), bytes(10, 2), bytes(10, 3)], () => cancelled++);
  for await (const _ of readPieces(stream)) break;
  assertEquals(cancelled, 1);
  assertEquals(stream.locked, false);

  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error("client went away"));
    },
  });
  await assertRejects(() => collect(failing), Error, "client went away");

  async function* strings() {
    yield "not bytes" as unknown as Uint8Array;
  }
  await assertRejects(() => collect(strings()), TypeError, "not a Uint8Array");
});

Deno.test("readPieces: an aborted signal ends the read with its reason and cancels the stream", async () => {
  let cancelled = 0;
  const controller = new AbortController();
  const stream = byteStream([bytes(10, 1), bytes(10, 2)], () => cancelled++);
  await assertRejects(
    async () => {
      for await (const _ of readPieces(stream, { signal: controller.signal })) {
        controller.abort(new Deno.errors.Interrupted("stop"));
      }
    },
    Deno.errors.Interrupted,
    "stop",
  );
  assertEquals(cancelled, 1);
});
