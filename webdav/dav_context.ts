/**
 * What every WebDAV method handler receives, and the lock manager contract the
 * handlers rely on. The protocol core (methods, properties, XML) and the locking
 * plugin (locks, the `If` header) meet here.
 *
 * @module
 */

import type { BackupFS } from "../src/fs/backup_fs.ts";
import type { MemoryBudget } from "../src/http/memory_budget.ts";

/** One active lock (RFC 4918 §6). */
export interface ActiveLock {
  /** The lock token, `urn:uuid:…`. */
  token: string;
  /** Path of the lock root (a normalized BackupFS path). */
  root: string;
  /** Exclusive or shared. */
  scope: "exclusive" | "shared";
  /** 0, or `infinity` (covers everything below a collection root). */
  depth: 0 | "infinity";
  /** The `DAV:owner` element's XML as the client sent it, if any. */
  ownerXml?: string;
  /** Seconds granted at the last LOCK or refresh. */
  timeoutSeconds: number;
  /** When it expires (ms since epoch). */
  expiresAt: number;
  /** The authenticated user who took it, if any. */
  principal?: string;
}

/** A path a modifying request affects, and how deep. */
export interface ModifyTarget {
  /** Normalized BackupFS path. */
  path: string;
  /** 0: the resource itself (and, for a new member, its parent collection's membership); infinity: it and everything below. */
  depth: 0 | "infinity";
}

/**
 * The locking plugin's contract (implemented in webdav/locks/). Handlers call
 * `assertCanModify` before changing anything, and `evaluateIf` for the `If`
 * header on methods that do not modify.
 */
export interface LockManager {
  /**
   * For a request that will modify `targets` (RFC 4918 §7, §10.4): evaluates the
   * `If` header (a false header → DavError 412) and requires that, for every lock
   * covering a target or (for depth infinity) anywhere below it, and for a lock on the
   * parent collection when a member is added or removed, the lock token was
   * submitted in the `If` header (else DavError 423 with condition
   * `lock-token-submitted` listing the lock roots' hrefs). Expired locks are ignored.
   */
  assertCanModify(ctx: DavRequestContext, targets: readonly ModifyTarget[]): Promise<void>;
  /** Evaluates only the `If` header (for GET, PROPFIND, …); a false header → DavError 412. */
  evaluateIf(ctx: DavRequestContext): Promise<void>;
  /** Active locks on `path` itself or inherited from a depth-infinity lock on an ancestor. */
  locksCovering(path: string): ActiveLock[];
  /**
   * Drops every lock rooted at or below `path` (after DELETE, or on the source of
   * MOVE); with `grantedBefore` (a {@link LockManager.checkpoint} taken before the
   * request checked its locks), only the locks granted before it, so a LOCK that
   * raced the request and won stays.
   */
  removeTree(path: string, options?: { grantedBefore?: number }): void;
  /**
   * A mark of the locks granted so far: locks granted later compare greater. Taken by
   * requests that drop locks when they finish (DELETE, MOVE, COPY onto a locked path).
   */
  checkpoint?(): number;
}

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
  /** The lock manager. */
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
