/**
 * Several workers over one store for `deno task serve` and `deno task storage`
 * (`--workers N`): the main thread's pool (`serveWithWorkers`), the worker's
 * side (`runWorker`), the shared invalidation board that keeps the workers'
 * metadata caches exact, the flag, and how totals are split among workers.
 *
 * @module
 */

export { DEFAULT_BOARD_SLOTS, InvalidationBoard } from "./invalidation_board.ts";
export { MAX_WORKERS, parseWorkerCount, WORKERS_FLAG, workersUsage } from "./worker_flags.ts";
export { serveWithWorkers, type WorkerPoolOptions } from "./worker_pool.ts";
export { shareOf, workerLimits } from "./worker_shares.ts";
export {
  inWorker,
  runWorker,
  type RunWorkerOptions,
  type WorkerContext,
  type WorkerServer,
} from "./worker_side.ts";
