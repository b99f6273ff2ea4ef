// A Web Worker that opens the store of a data directory (as each worker of a
// server does at start-up), writes one object, closes the store and answers its token
// (tests/integration/workers_open_test.ts).

import { openStore } from "../../../src/storage/store/store_backends.ts";
import { putSmall } from "../../storage/store/support/store_fixtures.ts";

const scope = globalThis as unknown as {
  onmessage: (event: MessageEvent<{ dataDir: string; name: string }>) => void;
  postMessage(message: { token?: string; error?: string }): void;
};

scope.onmessage = async (event) => {
  try {
    const opened = await openStore({ dataDir: event.data.dataDir });
    let token: string | undefined;
    try {
      const data = new TextEncoder().encode(`written by ${event.data.name}`);
      await putSmall(opened.store, "workers", event.data.name, data);
      const listed = await opened.store.listObjects({ StorageJobId: "workers" });
      token = listed.ObjectList.find((o) => o.Name === event.data.name)?.ObjectToken;
    } finally {
      // Closed before answering: the store's checkpoint worker (still starting, a
      // second or two inside a Web Worker) must not outlive the test's directory.
      await opened.close();
    }
    scope.postMessage({ token });
  } catch (error) {
    scope.postMessage({ error: String(error) });
  }
};
