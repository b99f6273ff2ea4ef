// The interface-only entry of the storage layer (src/storage/interface.ts), and
// the file system written against it, never load the embedded store, the HTTP
// client or SQLite; the full entry (src/storage/mod.ts) is the same exports plus
// those two.

import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../support/assert.ts";
import * as storageInterface from "../../src/storage/interface.ts";
import * as storage from "../../src/storage/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every module `entry` loads, as `deno info --json` lists them. */
async function moduleGraph(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(output.success, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  return info.modules.map((module: { specifier: string }) => module.specifier);
}

function implementations(specifiers: string[]): string[] {
  return specifiers.filter((specifier) =>
    specifier === "node:sqlite" ||
    specifier.includes("/src/storage/store/") ||
    specifier.endsWith("/src/storage/client/client.ts")
  );
}

Deno.test("interface entry: loads neither the store, the client nor SQLite", async () => {
  assertEquals(implementations(await moduleGraph("src/storage/interface.ts")), []);
});

Deno.test("interface entry: the file system needs nothing more", async () => {
  assertEquals(implementations(await moduleGraph("src/fs/mod.ts")), []);
});

Deno.test("interface entry: mod.ts is it plus the client and the store", async () => {
  const graph = await moduleGraph("src/storage/mod.ts");
  assert(graph.includes("node:sqlite"), "the embedded store is in the full entry");
  const extra = Object.keys(storage).filter((name) => !(name in storageInterface)).sort();
  assertEquals(extra, [
    "BackupStorageClient",
    "ClientClosedError",
    "EmbeddedStore",
    "LocalChunkStore",
    "RequestTimeoutError",
    "S3ChunkStore",
    "TransactionConflict",
    "VersionState",
    "checkMetadataUrl",
    "openStore",
    "parseChunksUrl",
  ]);
});
