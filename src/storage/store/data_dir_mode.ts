/**
 * The data directory's permissions: the store creates it 0700 (and its files 0600);
 * a directory that already exists and lets other users in gets a warning from the
 * `serve` and `storage` commands.
 *
 * @module
 */

/**
 * A warning (without prefix) when `directory` exists and other users may read or
 * enter it, naming the fix; `undefined` when it is private, missing, or on Windows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataDirectoryWarning } from "./data_dir_mode.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.chmod(dir, 0o755);
 *   assert.equal(
 *     await dataDirectoryWarning(dir),
 *     `${dir} is readable by other users (mode 755); chmod 700 ${dir}`,
 *   );
 *   await Deno.chmod(dir, 0o700);
 *   assert.equal(await dataDirectoryWarning(dir), undefined);
 *   assert.equal(await dataDirectoryWarning(`${dir}/missing`), undefined);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function dataDirectoryWarning(directory: string): Promise<string | undefined> {
  if (Deno.build.os === "windows") return undefined;
  let mode: number;
  try {
    mode = (await Deno.stat(directory)).mode ?? 0;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  return `${directory} is readable by other users (mode ${
    (mode & 0o777).toString(8)
  }); chmod 700 ${directory}`;
}
