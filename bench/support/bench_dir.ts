/**
 * A temporary directory for a benchmark's data, removed when the benchmark ends:
 * normally, on an exception, or on SIGINT/SIGTERM.
 *
 * @module
 */

/**
 * A benchmark's temporary directory; disposing of it removes it with everything in it.
 *
 * @example
 * ```ts
 * import { openBenchDir } from "./bench_dir.ts";
 * await using dir = await openBenchDir(".", "backupfs-bench-");
 * await Deno.writeTextFile(`${dir.path}/x`, "x");
 * ```
 */
export interface BenchDir extends AsyncDisposable {
  /** The directory's absolute path. */
  readonly path: string;
  /** Removes the directory (idempotent). */
  remove(): Promise<void>;
}

/**
 * Makes a temp directory under `parent` that is removed on dispose, and also when the
 * process is interrupted (SIGINT, SIGTERM) before that.
 *
 * @example
 * ```ts
 * import { openBenchDir } from "./bench_dir.ts";
 * await using dir = await openBenchDir(Deno.cwd(), "backupfs-bench-");
 * console.log(dir.path.includes("backupfs-bench-")); // true
 * ```
 */
export async function openBenchDir(parent: string, prefix: string): Promise<BenchDir> {
  const path = await Deno.realPath(await Deno.makeTempDir({ dir: parent, prefix }));
  let removed = false;
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    try {
      if (!removed) Deno.removeSync(path, { recursive: true });
    } catch { /* best effort while dying */ }
    console.error(`\ninterrupted; removed ${path}`);
    Deno.exit(130);
  };
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const remove = async () => {
    if (removed) return;
    removed = true;
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    await Deno.remove(path, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  };
  return { path, remove, [Symbol.asyncDispose]: remove };
}
