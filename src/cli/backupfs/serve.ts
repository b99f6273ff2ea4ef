/**
 * `backupfs serve`: exactly `deno task serve` (webdav/main.ts `main`), same
 * flags and `--help`. With `--workers N` the workers run webdav/main.ts itself
 * (it starts them from its own module URL), so they are the same here.
 *
 * @module
 */

import { main } from "../../../webdav/main.ts";

/**
 * Runs the WebDAV server with `args` until SIGINT or SIGTERM; resolves with the
 * exit code (0 after a clean stop, 1 on a start-up failure, 2 on bad options).
 *
 * @example Not run as a test: it serves until a stop signal (tests/cli/backupfs/ run it)
 * ```ts ignore
 * import { serve } from "./serve.ts";
 * Deno.exit(await serve(["--listen", "127.0.0.1:8081", "--data", "/tmp/dav-data"]));
 * ```
 */
export function serve(args: string[]): Promise<number> {
  return main(args);
}
