/**
 * Hono, the web framework of the WebDAV server and the BackupStorage service,
 * pinned here. Every version of every dependency is pinned in `deps/`, so the
 * module imports by path or URL with no import map.
 *
 * @module
 */

export { Hono } from "npm:hono@4.13.19";
export type { Context } from "npm:hono@4.13.19";
