// A server of the worker machinery (src/workers/) whose workers can be made to
// die: GET /crash throws in a timer (an uncaught error ends the worker), any
// other request answers the worker's index; worker FAIL_INDEX (if given) fails
// to start. Run as `deno run -A crashing_workers.ts WORKERS MAX_RESTARTS [FAIL_INDEX]`
// (tests/integration/workers_start_test.ts).

import { serveWithWorkers } from "../../../src/workers/worker_pool.ts";
import { inWorker, runWorker, type WorkerContext } from "../../../src/workers/worker_side.ts";

const say = (message: string) => console.error(`crashing: ${message}`);

function open(options: { failIndex: number }, context: WorkerContext) {
  if (context.index === options.failIndex) {
    return Promise.resolve(`worker ${context.index} cannot open its storage`);
  }
  let closed = false;
  return Promise.resolve({
    fetch: (request: Request) => {
      if (new URL(request.url).pathname === "/crash") {
        setTimeout(() => {
          throw new Error(`boom in worker ${context.index}`);
        }, 0);
      }
      return new Response(String(context.index));
    },
    close: () => Promise.resolve(void (closed ||= true)),
  });
}

if (import.meta.main) {
  if (inWorker()) {
    runWorker(open, { say });
  } else {
    const [workers, maxRestarts, failIndex = -1] = Deno.args.map(Number);
    Deno.exit(
      await serveWithWorkers(new URL(import.meta.url), {
        workers,
        listen: { hostname: "127.0.0.1", port: 0 },
        options: { failIndex },
        say,
        maxRestarts,
      }),
    );
  }
}
