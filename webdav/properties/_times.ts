/**
 * The times of a resource as its live properties show them: HTTP dates
 * (`getlastmodified`, the Win32 times) and ISO 8601 (`creationdate`), each
 * formatted at most once per second of time shown.
 *
 * @module
 */

import type { DavResource } from "./live_property.ts";

/**
 * A date formatter that remembers its last answer: both formats depend only on
 * the second, and a listing's members were mostly written in the same few seconds.
 */
function perSecond(format: (date: Date) => string): (date: Date) => string {
  let second = NaN;
  let text = "";
  return (date) => {
    const at = Math.floor(date.getTime() / 1000);
    if (at !== second) {
      text = format(date);
      second = at;
    }
    return text;
  };
}

const httpDate = perSecond((date) => date.toUTCString());

/**
 * A date as an HTTP date (RFC 9110 IMF-fixdate); `undefined` for no date.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { httpTime } from "./_times.ts";
 * assert.equal(httpTime(new Date(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
 * assert.equal(httpTime(null), undefined);
 * ```
 */
export function httpTime(date: Date | null | undefined): string | undefined {
  return date ? httpDate(date) : undefined;
}

/**
 * A date in ISO 8601 without fractions (`creationdate`, RFC 4918 §15.1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoTime } from "./_times.ts";
 * assert.equal(isoTime(new Date(1_500)), "1970-01-01T00:00:01Z");
 * ```
 */
export const isoTime: (date: Date) => string = perSecond((date) =>
  date.toISOString().replace(/\.\d{3}Z$/, "Z")
);

/**
 * When a resource was last modified (its birth time when the modification time is unknown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modifiedOf } from "./_times.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 0, mtime: null, atime: null, birthtime: new Date(5), mode: null } as const;
 * assert.equal(modifiedOf({ path: "/a", info })?.getTime(), 5);
 * ```
 */
export function modifiedOf(resource: DavResource): Date | null | undefined {
  return resource.info.mtime ?? resource.info.birthtime;
}

/**
 * When a resource was created (its modification time when the birth time is unknown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createdOf } from "./_times.ts";
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 0, mtime: new Date(7), atime: null, birthtime: null, mode: null } as const;
 * assert.equal(createdOf({ path: "/a", info })?.getTime(), 7);
 * ```
 */
export function createdOf(resource: DavResource): Date | null | undefined {
  return resource.info.birthtime ?? resource.info.mtime;
}
