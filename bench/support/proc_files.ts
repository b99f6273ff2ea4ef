/**
 * Files of Linux's `/proc` for the benchmarks: Deno lets a program read them
 * itself only with every permission, so they are read through `cat`
 * (`--allow-run=cat`), and the clock ticks their times count in.
 *
 * @module
 */

/**
 * Clock ticks per second of the times in `/proc/stat` and `/proc/<pid>/stat`
 * (`USER_HZ`, `sysconf(_SC_CLK_TCK)`): 100 on every Linux architecture Deno runs on.
 */
export const CLOCK_TICKS = 100;

/**
 * The text of `paths`, read by one `cat`: the readable ones in order (`cat` goes
 * on past a file that is gone, such as a process that ended), and whether every
 * one was read. Throws `Deno.errors.NotFound` when there is no `cat`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProcFiles } from "./proc_files.ts";
 * if (Deno.build.os === "linux") {
 *   const read = await readProcFiles(["/proc/stat", "/proc/no-such-file"]);
 *   assert.ok(read.text.startsWith("cpu "));
 *   assert.equal(read.all, false);
 * }
 * ```
 */
export async function readProcFiles(paths: string[]): Promise<{ text: string; all: boolean }> {
  const result = await new Deno.Command("cat", {
    args: paths,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return { text: new TextDecoder().decode(result.stdout), all: result.success };
}
