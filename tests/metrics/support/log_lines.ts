// Reading an access log a running command writes, in the tests.

/**
 * The lines of the file at `path` (none while it is missing or empty; the last
 * line is complete, the command writes whole lines).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logLines } from "./log_lines.ts";
 * const dir = await Deno.makeTempDir();
 * assert.deepEqual(await logLines(`${dir}/access.log`), []);
 * await Deno.writeTextFile(`${dir}/access.log`, "one\ntwo\n");
 * assert.deepEqual(await logLines(`${dir}/access.log`), ["one", "two"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function logLines(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}
