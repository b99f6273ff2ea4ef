/**
 * A web `Request` over a node `IncomingMessage`, built only as far as it is used.
 * Its method, URL, headers and signal are plain fields, and a body read whole
 * (`bytes`, `arrayBuffer`, `text`, `json`) is collected from the message's body
 * stream directly; the real `Request` is made only when something else is asked
 * of it (`body`, `clone`, `blob`…). Most requests never need it: bodiless ones and
 * short uploads. Measured, making it for every request costs about 40 µs of the
 * event loop's time, its body stream included (a 4 KiB PUT costs 600 µs in all).
 *
 * It is a `Request` to `instanceof`, and every member of `Request.prototype` that
 * it does not answer itself is the real request's.
 *
 * @module
 */

import type { IncomingBody } from "./_incoming_body.ts";
import { readBodyUpTo } from "./bounded_body.ts";

/** The methods `Request` refuses (the fetch standard's forbidden methods). */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** Makes (once) and returns the real `Request`. */
const real = Symbol("real request");

const decoder = new TextDecoder();

/** What an {@link IncomingRequest} is made of. */
export interface IncomingRequestParts {
  /** As node parsed it (upper case). */
  method: string;
  /** The absolute URL, serialized (`URL.href`). */
  url: string;
  headers: Headers;
  signal: AbortSignal;
  /** The body; none for a request without one. */
  body?: IncomingBody;
}

/** A lazily made `Request`; see the module's description. */
export class IncomingRequest {
  readonly #method: string;
  readonly #url: string;
  readonly #headers: Headers;
  readonly #signal: AbortSignal;
  readonly #body: IncomingBody | undefined;
  /** The body was read whole (through `bytes` and the like) before a real request was made. */
  #consumed = false;
  #request: Request | undefined;

  /**
   * Whether `request`, when it is an `IncomingRequest`, carries a body (asking it
   * makes nothing); `undefined` for any other request.
   */
  static hasBody(request: Request): boolean | undefined {
    if (!(#body in request)) return undefined;
    if (request.#request !== undefined) return request.#request.body !== null;
    return request.#body !== undefined;
  }

  /** Throws `TypeError` for a method `Request` refuses. */
  constructor(parts: IncomingRequestParts) {
    if (FORBIDDEN_METHODS.has(parts.method)) throw new TypeError("Method is forbidden");
    this.#method = parts.method;
    this.#url = parts.url;
    this.#headers = parts.headers;
    this.#signal = parts.signal;
    this.#body = parts.body;
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get signal(): AbortSignal {
    return this.#signal;
  }

  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#request === undefined && this.#body === undefined) return null;
    return this[real]().body;
  }

  get bodyUsed(): boolean {
    return this.#request !== undefined ? this.#request.bodyUsed : this.#consumed;
  }

  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#request !== undefined) return this.#request.bytes();
    if (this.#body === undefined) return Promise.resolve(new Uint8Array(0));
    if (this.#consumed) return Promise.reject(new TypeError("Body already consumed"));
    this.#consumed = true;
    return collect(this.#body.stream());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    // `bytes` gives an array whose buffer is its own, whole.
    return (await this.bytes()).buffer;
  }

  async text(): Promise<string> {
    return decoder.decode(await this.bytes());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** The real `Request`: its body the message's as a stream, or a used one once read whole. */
  [real](): Request {
    if (this.#request !== undefined) return this.#request;
    let body: ReadableStream<Uint8Array> | null = null;
    if (this.#consumed) {
      body = new ReadableStream({ start: (controller) => controller.close() });
    } else if (this.#body !== undefined) {
      body = this.#body.stream();
    }
    const init: RequestInit & { duplex?: "half" } = {
      method: this.#method,
      headers: this.#headers,
      signal: this.#signal,
      body,
    };
    if (body !== null) init.duplex = "half";
    const request = new Request(this.#url, init);
    if (this.#consumed) {
      // Read whole already: the real one's body is used too (a read marks it at once).
      const reader = request.body!.getReader();
      reader.read().catch(() => {});
      reader.releaseLock();
    }
    this.#request = request;
    return request;
  }
}

// An `IncomingRequest` is a `Request` to `instanceof`; what it does not answer
// itself, the real request answers.
Object.setPrototypeOf(IncomingRequest.prototype, Request.prototype);
for (const name of Object.getOwnPropertyNames(Request.prototype)) {
  if (name === "constructor" || Object.hasOwn(IncomingRequest.prototype, name)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(Request.prototype, name)!;
  if (typeof descriptor.get === "function") {
    Object.defineProperty(IncomingRequest.prototype, name, {
      configurable: true,
      enumerable: descriptor.enumerable,
      get(this: IncomingRequest) {
        return Reflect.get(this[real](), name);
      },
    });
  } else if (typeof descriptor.value === "function") {
    Object.defineProperty(IncomingRequest.prototype, name, {
      configurable: true,
      writable: true,
      enumerable: descriptor.enumerable,
      value(this: IncomingRequest, ...args: unknown[]) {
        const request = this[real]();
        return (Reflect.get(request, name) as (...a: unknown[]) => unknown).apply(request, args);
      },
    });
  }
}

/**
 * A stream's pieces in one array of its own, as `Request.bytes` gives. (Collecting
 * node's pieces from the message's events instead, without a stream, was measured
 * to make V8 run four times as many full collections under the 8-client mix of
 * `bench:webdav`, with p99 latencies 1.5-2 ms longer. Measured again later: 69–86
 * full collections in 20 s against 15–26, p99 10.8–11.8 ms against 9.1–9.5, though
 * curl's 4 KiB PUTs ran 6 % faster; copying each piece at once into a buffer of the
 * declared length still gave 69, so it is not the pieces kept that V8 promotes.)
 */
async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readBodyUpTo(stream, Infinity);
  // One piece may be a view of a larger buffer of node's: `arrayBuffer` gives the buffer.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return (own ? bytes : bytes.slice()) as Uint8Array<ArrayBuffer>;
}
