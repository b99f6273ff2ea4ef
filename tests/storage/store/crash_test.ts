import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fileURLToPath as fromFileUrl } from "node:url";
import { openStore } from "../../../src/storage/store/store_backends.ts";
import { onLocalFiles, testStoreLocation } from "../../support/test_store.ts";
import { contentFor, summaryOf } from "./support/crash_content.ts";
import { putSmall, readObject, seededBytes } from "./support/store_fixtures.ts";
import { prng } from "../../support/prng.ts";

const CHILD = fromFileUrl(new URL("./support/crash_child.ts", import.meta.url));

Deno.test("kill -9 at random moments: completed objects survive intact, nothing partial shows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "crash_test_" });
  const random = prng(20240610);
  const rounds = 8 + Math.floor(random() * 5); // 8–12 kills
  let totalDone = 0;
  // What the children reported: name → metadata of the latest completed version, or null if deleted.
  const reported = new Map<string, string | null | undefined>();
  const location = await testStoreLocation(dir);
  // On the default, the child touches nothing but the directory; on the engines it
  // talks to them and reads the AWS chain's files.
  const permissions = onLocalFiles ? [`--allow-read=${dir}`, `--allow-write=${dir}`] : [
    "--allow-read",
    `--allow-write=${dir}`,
    "--allow-net=127.0.0.1",
    "--allow-env",
    "--allow-sys",
  ];
  try {
    for (let round = 0; round < rounds; round++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-check",
          "--no-prompt",
          ...permissions,
          CHILD,
          JSON.stringify(location),
          String(round),
        ],
        stdout: "piped",
        stderr: "null",
        stdin: "null",
      }).spawn();
      const lines: string[] = [];
      let buffer = "";
      let ready!: () => void;
      const readyPromise = new Promise<void>((resolve) => (ready = resolve));
      const reading = (async () => {
        for await (const piece of child.stdout.pipeThrough(new TextDecoderStream())) {
          buffer += piece;
          let newline;
          while ((newline = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, newline);
            buffer = buffer.slice(newline + 1);
            if (line === "READY") ready();
            else lines.push(line);
          }
        }
      })();
      const delay = 50 + Math.floor(random() * 551); // 50–600 ms after the store is open
      // Wait for the store to be open (bounded), then a random delay.
      let readyTimer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        readyPromise,
        new Promise<void>((resolve) => (readyTimer = setTimeout(resolve, 20_000))),
      ]);
      clearTimeout(readyTimer);
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
      child.kill("SIGKILL");
      const status = await child.status;
      await reading;
      assert(status.signal === "SIGKILL" || status.code !== 0, "the child was killed");
      for (const line of lines) {
        const [kind, name, meta] = line.split(" ");
        if (kind === "DONE") reported.set(name, meta);
        else if (kind === "DELETING") reported.set(name, undefined); // may or may not be gone
        else if (kind === "DELETED") reported.set(name, null);
      }
      totalDone += lines.filter((l) => l.startsWith("DONE")).length;

      // Reopen and verify.
      const opened = await openStore(location, { gcIntervalMs: 0 });
      const store = opened.store;
      try {
        const listed = new Map<string, { meta: string; checksum: string; token: string }>();
        let token: string | undefined;
        for (let page = 0; page < 1000; page++) {
          const out = await store.listObjects({ StorageJobId: "crash", NextToken: token });
          for (const o of out.ObjectList) {
            listed.set(o.Name, {
              meta: o.MetadataString ?? "",
              checksum: o.ObjectChecksum,
              token: o.ObjectToken,
            });
          }
          token = out.NextToken;
          if (!token) break;
        }
        // Every listed object verifies byte for byte and by SUMMARY.
        for (const [name, object] of listed) {
          if (name.startsWith("after-crash/")) continue;
          const expected = contentFor(object.meta);
          assertEquals(object.checksum, summaryOf(expected), `${name}: SUMMARY`);
          const read = await readObject(store, "crash", object.token);
          assertEquals(read.chunks.length, expected.length, `${name}: chunk count`);
          for (let i = 0; i < expected.length; i++) {
            assert(Buffer.compare(read.chunks[i], expected[i]) === 0, `${name}: chunk ${i}`);
          }
        }
        // Every object reported complete (and not since deleted) is listed as that version
        // or, for the shared name, a later one the child may have finished unreported.
        for (const [name, meta] of reported) {
          if (meta === null) {
            assert(
              !listed.has(name) || name === "hot/replaced",
              `${name} was deleted but is listed`,
            );
            continue;
          }
          if (meta === undefined) continue;
          assert(listed.has(name), `${name} was reported complete but is not listed`);
          if (name !== "hot/replaced") assertEquals(listed.get(name)!.meta, meta);
        }
        // The store keeps working.
        const extra = seededBytes(`after-${round}`, 1000);
        await putSmall(store, "crash", `after-crash/${round}`, extra);
        const after = await store.listObjects({
          StorageJobId: "crash",
          StartingObjectPrefix: `after-crash/${round}`,
        });
        assertEquals(after.ObjectList.length, 1);
        await store.collectGarbage();
      } finally {
        await opened.close();
      }
    }
    assert(totalDone > 0, "the children completed some objects before being killed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
