/**
 * What the HTTP server ({@link ../http/serve_http.ts}) notes about each request
 * for an observer (the access log, the metrics): one small mutable record per
 * request, filled as the request goes — bytes of its body as they are read,
 * bytes of the answer as node reports them written, the user the app names —
 * and handed to the observer once the response is over (sent whole, or the
 * client went away).
 *
 * @module
 */

/** The key under which a request carries its record (a symbol: never a header, never cloned). */
const RECORD = Symbol("backupfs.requestRecord");

/**
 * One request, as observed. Filled by the server; `user` by the app.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestRecord } from "./request_record.ts";
 * const record = new RequestRecord("PUT", "/a.txt", "127.0.0.1");
 * record.bytesIn += 5;
 * assert.equal(record.status, 0); // not answered yet
 * assert.equal(record.user, undefined);
 * assert.equal(record.bytesIn, 5);
 * ```
 */
export class RequestRecord {
  /** When the request arrived, in ms since the epoch. */
  readonly startTime: number = Date.now();
  /** `performance.now()` when it arrived (for the duration). */
  readonly startMark: number = performance.now();
  /** The authenticated principal the app named (`setRequestUser`); `undefined`: none. */
  user: string | undefined = undefined;
  /** The status answered (0 until then). */
  status = 0;
  /** Request body bytes read from the client. */
  bytesIn = 0;
  /** Response body bytes node reported written to the connection. */
  bytesOut = 0;
  /** How long from arrival until the response was over, in ms (set at the end). */
  durationMs = 0;
  /** Whether the response was sent whole (false: the client went away or it failed midway). */
  completed = false;
  /** The HTTP version of the request line (`1.1`). */
  httpVersion = "1.1";

  /**
   * Starts the record of one request (the server makes it once the head is read).
   *
   * @param method The method as sent.
   * @param target The request target as sent (path and query; see `access_log_format.ts`
   *   for what is logged of it).
   * @param client The client's address (the server sets it to `peerAddress(request)`
   *   once the request is built).
   */
  constructor(
    readonly method: string,
    readonly target: string,
    public client: string,
  ) {}
}

/**
 * Receives each request's record once its response is over.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestRecord, type RequestObserver } from "./request_record.ts";
 * const seen: string[] = [];
 * const observer: RequestObserver = { requestEnded: (record) => void seen.push(record.method) };
 * observer.requestEnded(new RequestRecord("GET", "/", "127.0.0.1"));
 * assert.deepEqual(seen, ["GET"]);
 * ```
 */
export interface RequestObserver {
  /** Called once per request as it arrives, before the handler runs. */
  requestStarted?(record: RequestRecord): void;
  /** Called once per request, after its response was sent whole or abandoned. */
  requestEnded(record: RequestRecord): void;
}

/**
 * Attaches `record` to `request` (the server does, before the handler runs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attachRecord, recordOf, RequestRecord } from "./request_record.ts";
 * const request = new Request("http://h/");
 * const record = new RequestRecord("GET", "/", "127.0.0.1");
 * attachRecord(request, record);
 * assert.equal(recordOf(request), record);
 * ```
 */
export function attachRecord(request: Request, record: RequestRecord): void {
  (request as unknown as Record<symbol, RequestRecord>)[RECORD] = record;
}

/**
 * The record of `request`, when the server observes requests (`undefined` otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordOf } from "./request_record.ts";
 * assert.equal(recordOf(new Request("http://h/")), undefined);
 * ```
 */
export function recordOf(request: Request): RequestRecord | undefined {
  return (request as unknown as Record<symbol, RequestRecord | undefined>)[RECORD];
}

/**
 * Names the authenticated principal of `request` in its record (for the access
 * log); nothing when the request is not observed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attachRecord, RequestRecord, setRequestUser } from "./request_record.ts";
 * const request = new Request("http://h/");
 * const record = new RequestRecord("GET", "/", "127.0.0.1");
 * attachRecord(request, record);
 * setRequestUser(request, "alice");
 * assert.equal(record.user, "alice");
 * setRequestUser(new Request("http://h/"), "bob"); // not observed: nothing happens
 * ```
 */
export function setRequestUser(request: Request, user: string): void {
  const record = recordOf(request);
  if (record !== undefined) record.user = user;
}
