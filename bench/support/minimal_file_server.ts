/**
 * The runtime's reference in the WebDAV benchmark: the least a file server in this
 * Deno can do for the benchmark's PUTs and GETs, served the way BackupFS is
 * (node's HTTP server). A PUT writes the body as it arrives to a file of its own
 * (nothing hashed, nothing synced); a GET reads the file in 4 MiB pieces, the next
 * piece read while the last is written to the socket (nothing verified); MKCOL
 * makes a directory. Anything else is 405. Next to Apache and rclone in the same
 * run, it shows what this runtime reaches with the same client when a server does
 * next to nothing: a peer above it is out of reach of any server in this runtime
 * that moves the same bytes through files the same way.
 *
 *   deno run --allow-net=127.0.0.1 --allow-read=DIR,SCRIPT --allow-write=DIR \
 *     bench/support/minimal_file_server.ts PORT DIR
 *
 * Prints `listening on http://127.0.0.1:PORT` once it listens.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Bytes of each read of a GET. */
const PIECE_BYTES = 4 * 1024 * 1024;

/**
 * The file of a request target under `root`: one or more plain segments (letters,
 * digits, `.`, `_`, `-`, never `.` or `..` alone), or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileOf } from "./minimal_file_server.ts";
 * assert.equal(fileOf("/data", "/small/f00001.bin"), "/data/small/f00001.bin");
 * assert.equal(fileOf("/data", "/small/"), "/data/small");
 * assert.equal(fileOf("/data", "/../etc/passwd"), undefined);
 * assert.equal(fileOf("/data", "/"), undefined);
 * ```
 */
export function fileOf(root: string, target: string): string | undefined {
  const segments = target.split("?")[0].split("/").filter((s) => s !== "");
  if (segments.length === 0) return undefined;
  const plain = segments.every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== "." && s !== "..");
  return plain ? `${root}/${segments.join("/")}` : undefined;
}

async function put(file: string, request: IncomingMessage, response: ServerResponse) {
  const existed = await Deno.stat(file).then(() => true, () => false);
  using out = await Deno.open(file, { write: true, create: true, truncate: true });
  // Pieces are written in order, each once the one before it is; the request pauses
  // while more than 8 wait (memory stays bounded when the disk is slower).
  let writing = Promise.resolve();
  let waiting = 0;
  request.on("data", (piece: Uint8Array) => {
    if (++waiting > 8) request.pause();
    writing = writing.then(async () => {
      for (let at = 0; at < piece.byteLength;) at += await out.write(piece.subarray(at));
    }).finally(() => {
      if (--waiting <= 2) request.resume();
    });
    writing.catch(() => {}); // a failure is awaited (and answered) after the body
  });
  await new Promise<void>((resolve, reject) => {
    request.once("end", resolve);
    request.once("error", reject);
  });
  await writing;
  response.writeHead(existed ? 204 : 201, { "content-length": 0 }).end();
}

function written(response: ServerResponse, piece: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    response.write(piece, (error) => error ? reject(error) : resolve())
  );
}

async function get(file: string, response: ServerResponse) {
  using source = await Deno.open(file, { read: true });
  const size = (await source.stat()).size;
  const read = async (into: Uint8Array) => {
    let filled = 0;
    // Bounded by the buffer: every read moves at least one byte or ends.
    while (filled < into.byteLength) {
      const n = await source.read(into.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return into.subarray(0, filled);
  };
  response.writeHead(200, { "content-length": size });
  const buffers = [new Uint8Array(PIECE_BYTES), new Uint8Array(PIECE_BYTES)];
  let next: Promise<Uint8Array> | undefined = read(buffers[0]);
  // Bounded by the file's size: every piece but the last is PIECE_BYTES long.
  for (let i = 1, sent = 0; next !== undefined; i++) {
    const piece = await next;
    next = undefined;
    if (piece.byteLength === 0) break;
    sent += piece.byteLength;
    // The next piece goes into the other buffer while this one is written.
    if (sent < size) next = read(buffers[i % 2]);
    try {
      await written(response, piece);
    } catch (error) {
      await next?.catch(() => {}); // the file closes once it settled
      throw error;
    }
  }
  response.end();
}

/**
 * Serves `root` on 127.0.0.1:`port` (0: a port the OS picks); resolves once
 * listening, with the port and a way to stop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveMinimalFiles } from "./minimal_file_server.ts";
 * const root = await Deno.makeTempDir();
 * const server = await serveMinimalFiles(0, root);
 * try {
 *   const url = `http://127.0.0.1:${server.port}/a.txt`;
 *   assert.equal((await fetch(url, { method: "PUT", body: "hello" })).status, 201);
 *   assert.equal(await (await fetch(url)).text(), "hello");
 * } finally {
 *   await server.close();
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 */
export function serveMinimalFiles(
  port: number,
  root: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const file = fileOf(root, request.url ?? "");
    const answer = (status: number) => {
      request.resume();
      response.writeHead(status, { "content-length": 0 }).end();
    };
    if (file === undefined) return answer(404);
    const work = request.method === "PUT"
      ? put(file, request, response)
      : request.method === "GET"
      ? get(file, response)
      : request.method === "MKCOL"
      ? Deno.mkdir(file).then(() => answer(201))
      : Promise.resolve(answer(405));
    work.catch((error) => {
      if (!response.headersSent) answer(error instanceof Deno.errors.NotFound ? 404 : 500);
      else response.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host: "127.0.0.1" }, () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => {
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      }));
  });
}

if (import.meta.main) {
  const [port, root] = [Number(Deno.args[0]), Deno.args[1]];
  if (!Number.isSafeInteger(port) || port < 1 || root === undefined) {
    console.error("usage: minimal_file_server.ts PORT DIR");
    Deno.exit(2);
  }
  await serveMinimalFiles(port, root);
  console.log(`listening on http://127.0.0.1:${port}`);
}
