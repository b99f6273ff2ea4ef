// A server of the worker machinery (src/workers/) whose worker 1 takes a while to
// open: it waits OPEN_MS, then creates MARKER. Every request answers `ready` when
// MARKER exists (every worker has opened), `early` when it does not. Run as
// `deno run slow_open_workers.ts PORT MARKER OPEN_MS`
// (tests/integration/workers_start_test.ts).

import { serveWithWorkers } from "../../../src/workers/worker_pool.ts";
import { inWorker, runWorker, type WorkerContext } from "../../../src/workers/worker_side.ts";

const say = (message: string) => console.error(`slow-open: ${message}`);

async function open(options: { marker: string; openMs: number }, context: WorkerContext) {
  if (context.index === 1) {
    await new Promise((resolve) => setTimeout(resolve, options.openMs));
    await Deno.writeTextFile(options.marker, "opened");
  }
  return {
    fetch: async () => {
      const ready = await Deno.stat(options.marker).then(() => true, () => false);
      return new Response(ready ? "ready" : "early");
    },
    close: () => Promise.resolve(),
  };
}

if (import.meta.main) {
  if (inWorker()) {
    runWorker(open, { say });
  } else {
    const [port, marker, openMs] = Deno.args;
    Deno.exit(
      await serveWithWorkers(new URL(import.meta.url), {
        workers: 2,
        listen: { hostname: "127.0.0.1", port: Number(port) },
        options: { marker, openMs: Number(openMs) },
        say,
      }),
    );
  }
}
