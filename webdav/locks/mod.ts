/**
 * WebDAV locking (RFC 4918 class 2), the lock plugin of the server, in layers:
 *
 * - `lock_record.ts` — the locks as data;
 * - `store/` — where locks are kept: the `LockStore` seam, `MemoryLockStore`,
 *   `FileLockStore`, and `SharedLockStore` (in the store's metadata, shared by
 *   every server over that store);
 * - `lock_table.ts` — the rules (conflicts, covering and below, tokens,
 *   timeouts) over any store; `lock_manager.ts` — the `LockManager` contract the
 *   handlers use, and `MemoryLockManager`;
 * - `if_header.ts`, `lock_guard.ts` — the `If` header and lock enforcement for
 *   requests (the guard is where requests meet the table);
 * - `lock_info.ts`, `lock_xml.ts`, `lock_properties.ts` — the LOCK body, the XML
 *   of locks, and the `lockdiscovery` and `supportedlock` live properties.
 *
 * The LOCK and UNLOCK handlers are `methods/lock.ts` and `methods/unlock.ts`.
 * This module exports what stands apart from requests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LockTable, MemoryLockStore, parseIfHeader } from "./mod.ts";
 * const locks = new LockTable({ store: new MemoryLockStore(), maxTimeoutSeconds: 3600 });
 * assert.equal(locks.size, 0);
 * assert.equal(locks.timeoutFor("Infinite"), 3600);
 * assert.equal(parseIfHeader("(<urn:uuid:1>)").lists.length, 1);
 * ```
 *
 * @module
 */

export * from "./lock_record.ts";
export * from "./store/lock_store.ts";
export * from "./store/memory_lock_store.ts";
export * from "./store/file_lock_store.ts";
export * from "./store/shared_lock_store.ts";
export * from "./lock_table.ts";
export * from "./lock_manager.ts";
export * from "./if_header.ts";
export * from "./lock_info.ts";
export * from "./lock_xml.ts";
export * from "./lock_properties.ts";
