/**
 * `backupfs storage`: exactly `deno task storage` (src/server/main.ts `main`),
 * same flags and `--help`; its workers run src/server/main.ts itself.
 *
 * @module
 */

import { main } from "../../server/main.ts";

/**
 * Runs the BackupStorage service with `args` until SIGINT or SIGTERM; resolves
 * with the exit code (0 after a clean stop, 1 on a start-up failure, 2 on bad
 * options or credentials).
 *
 * @example Not run as a test: it serves until a stop signal (tests/cli/backupfs/ run it)
 * ```ts ignore
 * import { storage } from "./storage.ts";
 * Deno.exit(await storage(["--listen", "127.0.0.1:9001", "--data", "/tmp/storage-data"]));
 * ```
 */
export function storage(args: string[]): Promise<number> {
  return main(args);
}
