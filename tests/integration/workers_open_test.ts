// What a store does once at start-up (schema, token key, staging clean-up, GC
// lease) is safe when the workers of a server open a new store at the same
// moment: six Web Workers open one fresh data directory at once, each writes,
// and every token any of them made is accepted by a store opened afterwards.

import { openStore } from "../../src/storage/store/store_backends.ts";
import { assertEquals } from "../support/assert.ts";

const WORKER = new URL("./support/open_store_worker.ts", import.meta.url);

Deno.test("six workers open one new store at the same moment: all open, all write, one token key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "workers_open_" });
  const workers = Array.from({ length: 6 }, () => new Worker(WORKER, { type: "module" }));
  try {
    const answers = await Promise.all(
      workers.map((worker, i) =>
        new Promise<{ token?: string; error?: string }>((resolve) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.onerror = (event) => {
            event.preventDefault();
            resolve({ error: event.message });
          };
          worker.postMessage({ dataDir: `${dir}/data`, name: `w${i}` });
        })
      ),
    );
    assertEquals(answers.map((a) => a.error), answers.map(() => undefined));
    const opened = await openStore({ dataDir: `${dir}/data` });
    try {
      const listed = await opened.store.listObjects({ StorageJobId: "workers" });
      assertEquals(listed.ObjectList.map((o) => o.Name).sort(), [
        "w0",
        "w1",
        "w2",
        "w3",
        "w4",
        "w5",
      ]);
      for (const [i, answer] of answers.entries()) {
        const metadata = await opened.store.getObjectMetadata({
          StorageJobId: "workers",
          ObjectToken: answer.token!,
        });
        assertEquals(metadata.MetadataBlobLength ?? 0, 0, `w${i}`);
      }
    } finally {
      await opened.close();
    }
  } finally {
    for (const worker of workers) worker.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});
