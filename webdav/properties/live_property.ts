/**
 * What a live property is (RFC 4918 §4.5, §15): a named value computed for a
 * resource — from its `stat`, the lock table, the storage's usage — never stored
 * as a dead property. A {@link LivePropertyDefinition} says how to compute it and
 * how PROPFIND and PROPPATCH treat it; the property registry
 * (`property_registry.ts`) holds the definitions of a server.
 *
 * @module
 */

import type { DavRequestContext } from "../dav_context.ts";
import type { BackupFileInfo } from "../../src/fs/mod.ts";

/** A resource whose properties are reported. */
export interface DavResource {
  /** Normalized BackupFS path. */
  path: string;
  /** What `stat` said about it. */
  info: BackupFileInfo;
  /** The last segment of `path`, when the caller already has it (a listed member). */
  name?: string;
}

/** Storage usage for the RFC 4331 quota properties. */
export interface QuotaInfo {
  /** Bytes stored. */
  usedBytes: number;
  /** Bytes that can still be stored. */
  availableBytes: number;
}

/** Per-request environment of the live properties. */
export interface LivePropertyEnvironment {
  /** The request context (hrefs, locks). */
  ctx: DavRequestContext;
  /** Storage usage, computed at most once per request; undefined when not configured. */
  quota?: () => Promise<QuotaInfo | undefined>;
}

/**
 * The value of a live property for a resource: the element's content as XML (`""`
 * for an empty element), or `undefined` when the resource does not have it. A
 * `Promise` only when the value must wait (the quota).
 */
export type LivePropertyValue = string | undefined | Promise<string | undefined>;

/**
 * One live property: its name, its value, and how PROPFIND and PROPPATCH treat it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LivePropertyDefinition } from "./live_property.ts";
 * import { LivePropertyRegistry } from "./property_registry.ts";
 * const size: LivePropertyDefinition = {
 *   name: "{urn:x}size",
 *   get: (resource) => String(resource.info.size),
 *   allprop: false,
 *   protected: true,
 *   appliesTo: "file",
 * };
 * const registry = new LivePropertyRegistry([size]);
 * assert.equal(registry.isProtected("{urn:x}size"), true);
 * assert.deepEqual(registry.names(true), []); // a collection does not have it
 * ```
 */
export interface LivePropertyDefinition {
  /** The property's Clark name, `{namespace}local`. */
  name: string;
  /** Its value for a resource (see {@link LivePropertyValue}). */
  get(resource: DavResource, env: LivePropertyEnvironment): LivePropertyValue;
  /** Reported by `allprop`. */
  allprop: boolean;
  /** Refused by PROPPATCH (403 `cannot-modify-protected-property`). */
  protected: boolean;
  /** A stored dead value of the same name, when there is one, wins (properties clients may write). */
  deadOverrides?: boolean;
  /** Which resources have it (listed by `propname` and `allprop`): files, collections, or both (default). */
  appliesTo?: "file" | "collection";
}

/** Renders one live property's element for a resource; `undefined` when it does not have it. */
export type LivePropertyRenderer = (
  resource: DavResource,
  env: LivePropertyEnvironment,
) => string | undefined | Promise<string | undefined>;
