/**
 * BackupFS paths and object names: normalization, path ↔ object name, directory
 * markers, parent, base name and join.
 *
 * A path is a string like `/a/b.txt`; its object name is `a/b.txt`; an empty
 * directory `/a/dir` persists as the marker object `a/dir/`; the root `/` has no
 * object. Only `/` separates segments: a backslash is an ordinary name character.
 *
 * @module
 */

import { MAX_OBJECT_NAME_BYTES, utf8Length } from "../storage/limits.ts";

const SLASH = 0x2f;
/** What a canonical path never holds: an empty, `.` or `..` segment, or NUL. */
const NOT_CANONICAL = /\/\/|\/\.\.?(?:\/|$)|\0/;

/**
 * Canonical form of a path: a leading `/`, no trailing `/` (except the root `/`),
 * no `.`, `..` or empty segments. `..` at the root stays at the root, so a path can
 * never escape it. A relative path is taken from the root (`a/b` → `/a/b`).
 *
 * Throws `TypeError` when the path is not a string, contains NUL, or when the
 * result's object name would exceed 1024 bytes of UTF-8 or not be well-formed
 * Unicode (a lone surrogate).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizePath } from "./paths.ts";
 * assert.equal(normalizePath("a//b/./c/.."), "/a/b");
 * assert.equal(normalizePath("../../etc/passwd"), "/etc/passwd");
 * assert.equal(normalizePath("/dir\\name/"), "/dir\\name"); // a backslash is a name character
 * assert.throws(() => normalizePath("/a\0b"), TypeError);
 * ```
 */
export function normalizePath(path: string): string {
  if (typeof path !== "string") {
    throw new TypeError(`Path must be a string, got ${typeof path}`);
  }
  // Most paths arrive in canonical form already (each request normalizes its path
  // several times over): those are returned as they are, without splitting.
  if (
    path.length > 1 && path.charCodeAt(0) === SLASH && path.charCodeAt(path.length - 1) !== SLASH &&
    (path.length - 1) * 3 <= MAX_OBJECT_NAME_BYTES && !NOT_CANONICAL.test(path) &&
    path.isWellFormed()
  ) {
    return path;
  }
  if (path.includes("\0")) throw new TypeError("Path must not contain NUL");
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  const name = segments.join("/");
  if (!name.isWellFormed()) {
    throw new TypeError("Path must be well-formed Unicode (it contains a lone surrogate)");
  }
  // At most 3 bytes of UTF-8 per UTF-16 unit: most names need no count.
  const bytes = name.length * 3 <= MAX_OBJECT_NAME_BYTES ? 0 : utf8Length(name);
  if (bytes > MAX_OBJECT_NAME_BYTES) {
    throw new TypeError(
      `Path is too long: its object name has ${bytes} bytes of UTF-8, at most ${MAX_OBJECT_NAME_BYTES} are allowed`,
    );
  }
  return "/" + name;
}

/**
 * The object name of a path: `/a/b.txt` → `a/b.txt`; the root `/` → `""` (no
 * object). The path is normalized first (see {@link normalizePath}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { objectNameOf } from "./paths.ts";
 * assert.equal(objectNameOf("/a/b.txt"), "a/b.txt");
 * assert.equal(objectNameOf("/"), "");
 * ```
 */
export function objectNameOf(path: string): string {
  return normalizePath(path).slice(1);
}

/**
 * The name prefix shared by everything inside a directory, which is also the name
 * of the directory's marker object: `/a/dir` → `a/dir/`; the root `/` → `""`.
 * The path is normalized first. Throws `TypeError` when the marker name would
 * exceed 1024 bytes of UTF-8 (such a directory cannot hold anything).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { directoryPrefixOf } from "./paths.ts";
 * assert.equal(directoryPrefixOf("/a/dir"), "a/dir/");
 * assert.equal(directoryPrefixOf("/"), "");
 * assert.throws(() => directoryPrefixOf("/" + "x".repeat(1024)), TypeError);
 * ```
 */
export function directoryPrefixOf(path: string): string {
  const name = objectNameOf(path);
  if (name === "") return "";
  const bytes = utf8Length(name) + 1;
  if (bytes > MAX_OBJECT_NAME_BYTES) {
    throw new TypeError(
      `Directory path is too long: its marker name would have ${bytes} bytes of UTF-8, at most ${MAX_OBJECT_NAME_BYTES} are allowed`,
    );
  }
  return name + "/";
}

/**
 * The parent directory of a path: `/a/b` → `/a`; `/a` → `/`; `/` → `/`. The path
 * is normalized first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parentOf } from "./paths.ts";
 * assert.equal(parentOf("/a/b"), "/a");
 * assert.equal(parentOf("/a"), "/");
 * assert.equal(parentOf("/"), "/");
 * ```
 */
export function parentOf(path: string): string {
  const normalized = normalizePath(path);
  const slash = normalized.lastIndexOf("/");
  return slash <= 0 ? "/" : normalized.slice(0, slash);
}

/**
 * The last segment of a path: `/a/b` → `b`; `/` → `""`. The path is normalized
 * first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { baseName } from "./paths.ts";
 * assert.equal(baseName("/a/b.txt"), "b.txt");
 * assert.equal(baseName("/"), "");
 * ```
 */
export function baseName(path: string): string {
  const normalized = normalizePath(path);
  return normalized.slice(normalized.lastIndexOf("/") + 1);
}

/**
 * Joins a directory path and a name (or a relative path) and normalizes the
 * result: `joinPath("/a", "b")` → `/a/b`. `..` in `name` moves up, never above the
 * root; a `name` starting with `/` is still taken relative to `directory`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinPath } from "./paths.ts";
 * assert.equal(joinPath("/a", "b.txt"), "/a/b.txt");
 * assert.equal(joinPath("/", "x"), "/x");
 * assert.equal(joinPath("/a/b", "../c"), "/a/c");
 * assert.equal(joinPath("/a", "/b"), "/a/b"); // a leading "/" in the name is still relative
 * ```
 */
export function joinPath(directory: string, name: string): string {
  if (typeof name !== "string") throw new TypeError(`Name must be a string, got ${typeof name}`);
  return normalizePath(`${normalizePath(directory)}/${name}`);
}
