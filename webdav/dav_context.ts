/**
 * What every WebDAV method handler receives: the request, the file system, the
 * decoded path and how to write hrefs, the lock table, the limits. The app's
 * middleware builds it once per request (`middleware/request_context.ts`);
 * handlers are functions of it.
 *
 * @module
 */

import type { BackupFS } from "../src/fs/mod.ts";
import type { MemoryBudget } from "../src/http/mod.ts";
import type { LockManager } from "./locks/lock_manager.ts";

/** Per-request context passed to every method handler. */
export interface DavRequestContext {
  /** The request. */
  request: Request;
  /** The file system served. */
  fs: BackupFS;
  /** The request's resource as a normalized BackupFS path (`/a/b`). */
  path: string;
  /** Whether the URL ended with `/` (a collection was named). */
  trailingSlash: boolean;
  /** The href (absolute path, percent-encoded, mount prefix included) of a BackupFS path; collections get a trailing `/` when `collection` is true. */
  href(path: string, collection?: boolean): string;
  /** The BackupFS path an href or absolute URL names on THIS server (same origin and mount prefix), or undefined for anything else (another server: COPY/MOVE answer 502). */
  pathOf(hrefOrUrl: string): string | undefined;
  /** Whether changes are refused. */
  readOnly: boolean;
  /** The lock table. */
  locks: LockManager;
  /** The authenticated user name, if any. */
  principal?: string;
  /** Largest XML request body accepted, in bytes. */
  maxXmlBytes: number;
  /** The memory budget uploads (PUT bodies) take their share from before reading. */
  uploads?: UploadAdmission;
}

/** How uploads are admitted: a shared memory budget, each upload's share, the longest wait. */
export interface UploadAdmission {
  /** The budget shared by all uploads in progress. */
  budget: MemoryBudget;
  /** The most one streamed upload holds (its write buffers and chunks in flight), in bytes. */
  perUploadBytes: number;
  /** Longest wait for a share before the upload is answered 503, in ms. */
  waitMs: number;
}

/** A WebDAV method handler. */
export type DavHandler = (ctx: DavRequestContext) => Promise<Response>;
