/**
 * WebDAV locking (RFC 4918 class 2): the lock table, the `If` header, lock
 * enforcement for modifying requests, and the XML of locks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryLockManager, parseIfHeader } from "./mod.ts";
 * const locks = new MemoryLockManager({ defaultTimeoutSeconds: 600, maxTimeoutSeconds: 3600 });
 * assert.equal(locks.size, 0);
 * assert.equal(parseIfHeader("(<urn:uuid:1>)").lists.length, 1);
 * ```
 *
 * @module
 */

export type {
  ActiveLock,
  DavHandler,
  DavRequestContext,
  LockManager,
  ModifyTarget,
} from "../dav_context.ts";
export { DavError } from "../dav_error.ts";
export * from "./if_header.ts";
export * from "./lock_guard.ts";
export * from "./lock_info.ts";
export * from "./lock_manager.ts";
export * from "./lock_xml.ts";
