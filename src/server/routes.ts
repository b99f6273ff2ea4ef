/**
 * Routing for the BackupStorage service: which operation a method and raw path
 * address, and the URI labels of that path, each percent-decoded whole from the
 * raw path (so a `%2F` inside an object name stays inside its label).
 *
 * @module
 */

import { IllegalArgumentException } from "../storage/errors.ts";
import { type OperationBinding, OPERATIONS, routeSegments } from "../storage/operations.ts";

/** An operation and the decoded URI labels of the request's path. */
export interface RouteMatch {
  /** The operation's binding. */
  binding: OperationBinding;
  /** URI labels by label name, percent-decoded. */
  labels: Record<string, string>;
}

/**
 * The route template of an operation in Hono's syntax (`{jobId}` → `:jobId`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { honoPath } from "./routes.ts";
 * assert.equal(
 *   honoPath("/restore-jobs/{jobId}/objects/list"),
 *   "/restore-jobs/:jobId/objects/list",
 * );
 * ```
 */
export function honoPath(template: string): string {
  return template.replace(/\{(\w+)\}/g, ":$1");
}

/**
 * Matches a raw path against a route template. Returns the still-encoded label
 * values, or `undefined` when the path does not fit the template.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchTemplate } from "./routes.ts";
 * const template = "/backup-jobs/{jobId}/object/{objectName}";
 * assert.deepEqual(matchTemplate(template, "/backup-jobs/j/object/a%2Fb"), {
 *   jobId: "j",
 *   objectName: "a%2Fb",
 * });
 * assert.equal(matchTemplate(template, "/backup-jobs/j/object/a/b"), undefined);
 * ```
 */
export function matchTemplate(
  template: string,
  rawPath: string,
): Record<string, string> | undefined {
  const segments = routeSegments(template);
  const parts = rawPath.split("/");
  if (parts[0] !== "" || parts.length - 1 !== segments.length) return undefined;
  const labels: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i + 1];
    if ("literal" in segment) {
      if (part !== segment.literal) return undefined;
    } else {
      if (part === "") return undefined;
      labels[segment.label] = part;
    }
  }
  return labels;
}

/**
 * Percent-decodes every label of a match; a malformed escape or a label that is
 * not well-formed UTF-8 is an `IllegalArgumentException`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeLabels } from "./routes.ts";
 * import { IllegalArgumentException } from "../storage/errors.ts";
 * assert.deepEqual(decodeLabels({ objectName: "a%2Fb%20c" }), { objectName: "a/b c" });
 * assert.throws(() => decodeLabels({ objectName: "%E0%A4" }), IllegalArgumentException);
 * ```
 */
export function decodeLabels(raw: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      labels[name] = decodeURIComponent(value);
    } catch {
      throw new IllegalArgumentException(`URI label ${name} is not valid percent-encoded UTF-8`);
    }
  }
  return labels;
}

/**
 * Finds the operation a method and raw path address. When the path fits some
 * route but not with this method, `allowed` lists the methods that would.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchRoute } from "./routes.ts";
 * const found = matchRoute("GET", "/restore-jobs/j/objects/list");
 * assert.equal(found.match?.binding.name, "ListObjects");
 * assert.deepEqual(found.match?.rawLabels, { jobId: "j" });
 * // The path fits a route, but not with this method.
 * const wrong = matchRoute("DELETE", "/restore-jobs/j/objects/list");
 * assert.equal(wrong.match, undefined);
 * assert.deepEqual(wrong.allowed, ["GET"]);
 * ```
 */
export function matchRoute(
  method: string,
  rawPath: string,
): { match?: { binding: OperationBinding; rawLabels: Record<string, string> }; allowed: string[] } {
  const allowed: string[] = [];
  for (const binding of Object.values(OPERATIONS)) {
    const rawLabels = matchTemplate(binding.path, rawPath);
    if (rawLabels === undefined) continue;
    if (binding.method === method) return { match: { binding, rawLabels }, allowed: [method] };
    allowed.push(binding.method);
  }
  return { allowed };
}
