/**
 * Microsoft's Win32 properties (`urn:schemas-microsoft-com:`), which the Windows
 * WebDAV redirector reads and sets: creation, modification and access times and
 * the file attributes. Clients may write the access time and the attributes (a
 * dead value then wins); PROPPATCH of the creation or modification time sets the
 * file's own (`methods/proppatch.ts`).
 *
 * @module
 */

import { clark, MS_NS } from "../xml/names.ts";
import { createdOf, httpTime, modifiedOf } from "./_times.ts";
import type { LivePropertyDefinition } from "./live_property.ts";

/**
 * The Clark names of the Win32 properties.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WIN32 } from "./win32_properties.ts";
 * assert.equal(WIN32.lastModifiedTime, "{urn:schemas-microsoft-com:}Win32LastModifiedTime");
 * ```
 */
export const WIN32 = {
  creationTime: clark(MS_NS, "Win32CreationTime"),
  lastModifiedTime: clark(MS_NS, "Win32LastModifiedTime"),
  lastAccessTime: clark(MS_NS, "Win32LastAccessTime"),
  fileAttributes: clark(MS_NS, "Win32FileAttributes"),
} as const;

/**
 * The Win32 live properties (not reported by `allprop`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WIN32, WIN32_PROPERTIES } from "./win32_properties.ts";
 * const attributes = WIN32_PROPERTIES.find((p) => p.name === WIN32.fileAttributes)!;
 * const info = { isFile: false, isDirectory: true, isSymlink: false, size: 0, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * assert.equal(attributes.get({ path: "/d", info }, { ctx: {} as never }), "00000010"); // a directory
 * ```
 */
export const WIN32_PROPERTIES: readonly LivePropertyDefinition[] = [
  {
    name: WIN32.creationTime,
    get: (r) => httpTime(createdOf(r)),
    allprop: false,
    protected: false,
  },
  {
    name: WIN32.lastModifiedTime,
    get: (r) => httpTime(modifiedOf(r)),
    allprop: false,
    protected: false,
  },
  {
    name: WIN32.lastAccessTime,
    get: (r) => httpTime(modifiedOf(r)),
    allprop: false,
    protected: false,
    deadOverrides: true,
  },
  {
    name: WIN32.fileAttributes,
    get: (r) => r.info.isDirectory ? "00000010" : "00000020",
    allprop: false,
    protected: false,
    deadOverrides: true,
  },
];
