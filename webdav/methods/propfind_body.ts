/**
 * The body of a PROPFIND request (RFC 4918 §14.20 `DAV:propfind`): `allprop`
 * (with `include`), `prop` or `propname`; no body at all means `allprop`. Read
 * with the size cap and parsed by the shared XML parser (`webdav/xml/`).
 *
 * @module
 */

import { DavError } from "../dav_error.ts";
import { DAV_NS } from "../xml/names.ts";
import { childElements, nameOf, readXmlBody } from "../xml/parse.ts";

/** What a PROPFIND asks for. */
export type PropfindRequest =
  | { kind: "allprop"; include: string[] }
  | { kind: "propname" }
  | { kind: "prop"; names: string[] };

/**
 * Reads a PROPFIND body: none means `allprop`; malformed or unexpected → 400.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readPropfindBody } from "./propfind_body.ts";
 * const body = "<D:propfind xmlns:D='DAV:'><D:prop><D:getetag/></D:prop></D:propfind>";
 * const request = new Request("http://localhost/", { method: "PROPFIND", body });
 * assert.deepEqual(await readPropfindBody(request, { maxBytes: 1024 }), {
 *   kind: "prop",
 *   names: ["{DAV:}getetag"],
 * });
 * const empty = new Request("http://localhost/", { method: "PROPFIND" });
 * assert.deepEqual(await readPropfindBody(empty, { maxBytes: 1024 }), { kind: "allprop", include: [] });
 * ```
 */
export async function readPropfindBody(
  request: Request,
  options: { maxBytes: number },
): Promise<PropfindRequest> {
  const root = await readXmlBody(request, { maxBytes: options.maxBytes });
  if (!root) return { kind: "allprop", include: [] };
  if (root.namespace !== DAV_NS || root.local !== "propfind") {
    throw new DavError(400, "Expected a DAV:propfind body");
  }
  let result: PropfindRequest | undefined;
  const include: string[] = [];
  for (const child of childElements(root)) {
    if (child.namespace !== DAV_NS) continue;
    if (child.local === "allprop") result = { kind: "allprop", include };
    else if (child.local === "propname") result = { kind: "propname" };
    else if (child.local === "prop") {
      result = { kind: "prop", names: childElements(child).map(nameOf) };
    } else if (child.local === "include") include.push(...childElements(child).map(nameOf));
  }
  if (!result) throw new DavError(400, "DAV:propfind needs allprop, prop or propname");
  return result;
}
