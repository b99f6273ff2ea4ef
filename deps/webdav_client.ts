/**
 * The `webdav` npm client (perry-mitchell/webdav-client), pinned here: tests use
 * it as a third-party WebDAV client (deep listings with PROPFIND Depth: infinity).
 *
 * @module
 */

export { createClient } from "npm:webdav@5.11.0";
export type { FileStat, WebDAVClient } from "npm:webdav@5.11.0";
