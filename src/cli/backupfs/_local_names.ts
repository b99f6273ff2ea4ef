/**
 * What `get` may write on the local disk: a remote name becomes one local
 * name inside the target directory, or is refused. Names are refused, not
 * rewritten, so what is restored is what was stored or nothing.
 *
 * @module
 */

import { isAbsolute, relative, resolve, sep } from "node:path";
import { displayName } from "./_output.ts";

const isWindows = Deno.build.os === "windows";

/**
 * Checks that a remote name is a single, ordinary local name: not empty, not
 * `.` or `..`, without `/` or NUL (nor `\` or `:` on Windows). Throws an
 * `Error` naming it otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLocalName } from "./_local_names.ts";
 * assert.equal(checkLocalName("photo 1.jpg"), "photo 1.jpg");
 * assert.throws(() => checkLocalName(".."), /refusing the remote name "\.\."/);
 * assert.throws(() => checkLocalName("a/b"), /refusing the remote name "a\/b"/);
 * ```
 */
export function checkLocalName(name: string): string {
  if (
    name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0") ||
    (isWindows && /[\\:]/.test(name))
  ) {
    throw new Error(
      `refusing the remote name "${displayName(name)}": ` +
        `it is not a single file name and could escape the target directory`,
    );
  }
  return name;
}

/**
 * Whether `path` is `root` or inside it, lexically (after resolving both).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isInside } from "./_local_names.ts";
 * assert.equal(isInside("/restore", "/restore/a/b"), true);
 * assert.equal(isInside("/restore", "/restore"), true);
 * assert.equal(isInside("/restore", "/restore/../etc"), false);
 * assert.equal(isInside("/restore", "/restored"), false);
 * assert.equal(isInside("/restore", "/restore/..hidden"), true);
 * ```
 */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === "" || (rel.split(sep)[0] !== ".." && !isAbsolute(rel));
}
