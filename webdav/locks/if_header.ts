/**
 * The WebDAV `If` request header (RFC 4918 §10.4): a parser for untagged and
 * tagged lists of state tokens and entity tags (with `Not`), and their evaluation
 * against resource states.
 *
 * Semantics kept here:
 * - Conditions inside one list are AND'ed; all lists of the header (untagged, or
 *   tagged with any resource) are OR'ed: the header is true when one list is.
 * - An untagged list applies to the request's resource; a tagged list to the
 *   resource its tag names. A tag that names no resource of this server makes its
 *   list false.
 * - A state token matches when it is the token of a lock covering the resource.
 * - Entity tags are compared strongly: a weak tag (`W/"x"`) never matches, and a
 *   resource without an ETag (missing, or a directory without a marker) matches no
 *   tag.
 *
 * @module
 */

import { DavError } from "../dav_error.ts";

/** One condition of a list: a state token or an entity tag, maybe negated. */
export type IfCondition =
  | {
    /** `Not` was given. */
    not: boolean;
    /** A state token (`<…>`): an absolute URI such as `urn:uuid:…` or `DAV:no-lock`. */
    type: "token";
    /** The URI between the angle brackets. */
    token: string;
  }
  | {
    /** `Not` was given. */
    not: boolean;
    /** An entity tag (`[…]`). */
    type: "etag";
    /** The opaque tag with its quotes, without any `W/`: `"abc"`. */
    etag: string;
    /** Whether it was a weak tag (`W/"abc"`). */
    weak: boolean;
  };

/** One parenthesized list of conditions, with the resource tag it belongs to, if any. */
export interface IfList {
  /** The resource tag (`<http://host/path>`) the list applies to; absent for untagged lists. */
  resource?: string;
  /** The conditions, AND'ed. */
  conditions: IfCondition[];
}

/** A parsed `If` header. */
export interface IfHeader {
  /** Every list of the header, in order (OR'ed). */
  lists: IfList[];
}

/** The state of one resource an `If` header is evaluated against. */
export interface IfResourceState {
  /** Its strong ETag as the `ETag` header gives it (`"checksum"`), if it has one. */
  etag?: string;
  /** Tokens of the locks covering it. */
  tokens: ReadonlySet<string>;
}

/** Options of {@link evaluateIfHeader}. */
export interface EvaluateIfOptions {
  /** The request's resource (untagged lists apply to it). */
  requestPath: string;
  /** The path a resource tag names on this server, or undefined (another server, or invalid). */
  resolve(tag: string): string | undefined;
  /** The state of a resource (called at most once per path). */
  stateOf(path: string): Promise<IfResourceState>;
}

/** The result of evaluating an `If` header. */
export interface IfEvaluation {
  /** Whether the header as a whole is true (some list is true). */
  result: boolean;
  /** The lists that evaluated true. */
  trueLists: IfList[];
  /** Every state token the header names (in any list, negated or not). */
  tokens: Set<string>;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function syntaxError(message: string): DavError {
  return new DavError(400, `Malformed If header: ${message}`);
}

/**
 * Parses an `If` header value (RFC 4918 §10.4.2). Throws `DavError` 400 on any
 * syntax error: an empty header, mixed tagged and untagged lists, an empty list, a
 * state token that is not an absolute URI, an unterminated bracket or quote, or
 * stray characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIfHeader } from "./if_header.ts";
 * const header = parseIfHeader('<http://h/a> (<urn:uuid:1> ["x"]) (Not <DAV:no-lock>)');
 * assert.equal(header.lists.length, 2);
 * assert.equal(header.lists[0].resource, "http://h/a");
 * assert.deepEqual(header.lists[1].conditions[0], { not: true, type: "token", token: "DAV:no-lock" });
 * ```
 */
export function parseIfHeader(value: string): IfHeader {
  const s = value;
  let i = 0;
  const skipSpace = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === "\r" || s[i] === "\n")) i++;
  };
  const readAngle = (what: string): string => {
    // s[i] === "<"
    const end = s.indexOf(">", i + 1);
    if (end < 0) throw syntaxError(`unterminated ${what}`);
    const text = s.slice(i + 1, end);
    if (text === "" || /[\s<]/.test(text)) throw syntaxError(`invalid ${what}`);
    i = end + 1;
    return text;
  };
  const lists: IfList[] = [];
  let tagged: boolean | undefined;
  let resource: string | undefined;
  let listsOfTag = 0;
  skipSpace();
  if (i >= s.length) throw syntaxError("it is empty");
  while (i < s.length) {
    const c = s[i];
    if (c === "<") {
      if (tagged === false) throw syntaxError("tagged and untagged lists are mixed");
      if (tagged === true && listsOfTag === 0) throw syntaxError("a resource tag has no list");
      tagged = true;
      resource = readAngle("resource tag");
      listsOfTag = 0;
    } else if (c === "(") {
      if (tagged === undefined) tagged = false;
      i++;
      const conditions = parseConditions();
      const list: IfList = { conditions };
      if (tagged) list.resource = resource;
      lists.push(list);
      listsOfTag++;
    } else {
      throw syntaxError(`unexpected character ${JSON.stringify(c)}`);
    }
    skipSpace();
  }
  if (tagged && listsOfTag === 0) throw syntaxError("a resource tag has no list");
  return { lists };

  function parseConditions(): IfCondition[] {
    const conditions: IfCondition[] = [];
    for (;;) {
      skipSpace();
      if (i >= s.length) throw syntaxError("unterminated list");
      if (s[i] === ")") {
        i++;
        if (conditions.length === 0) throw syntaxError("an empty list");
        return conditions;
      }
      let not = false;
      if (s.slice(i, i + 3).toLowerCase() === "not") {
        not = true;
        i += 3;
        const before = i;
        skipSpace();
        if (i === before && s[i] !== "<" && s[i] !== "[") throw syntaxError("invalid Not");
      }
      if (s[i] === "<") {
        const token = readAngle("state token");
        if (!SCHEME.test(token)) throw syntaxError("a state token is not an absolute URI");
        conditions.push({ not, type: "token", token });
      } else if (s[i] === "[") {
        i++;
        skipSpace();
        let weak = false;
        if (s.startsWith("W/", i)) {
          weak = true;
          i += 2;
        }
        if (s[i] !== '"') throw syntaxError("an entity tag is not quoted");
        const end = s.indexOf('"', i + 1);
        if (end < 0) throw syntaxError("unterminated entity tag");
        const etag = s.slice(i, end + 1);
        // deno-lint-ignore no-control-regex
        if (/[\x00-\x20\x7f]/.test(etag)) throw syntaxError("invalid entity tag");
        i = end + 1;
        skipSpace();
        if (s[i] !== "]") throw syntaxError("unterminated entity tag");
        i++;
        conditions.push({ not, type: "etag", etag, weak });
      } else {
        throw syntaxError(
          i < s.length ? `unexpected character ${JSON.stringify(s[i])}` : "truncated",
        );
      }
    }
  }
}

/** Whether one condition holds for a resource state. */
function conditionHolds(condition: IfCondition, state: IfResourceState): boolean {
  const matches = condition.type === "token"
    ? state.tokens.has(condition.token)
    : !condition.weak && state.etag !== undefined && state.etag === condition.etag;
  return condition.not ? !matches : matches;
}

/**
 * Evaluates a parsed `If` header: each list against its resource (the request's
 * for untagged lists), conditions AND'ed, lists OR'ed. Resource states are looked
 * up once per path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateIfHeader, parseIfHeader } from "./if_header.ts";
 * const header = parseIfHeader('(<urn:uuid:1>) (Not <DAV:no-lock> ["nope"])');
 * const evaluation = await evaluateIfHeader(header, {
 *   requestPath: "/a",
 *   resolve: () => undefined,
 *   stateOf: () => Promise.resolve({ etag: '"e"', tokens: new Set(["urn:uuid:1"]) }),
 * });
 * assert.equal(evaluation.result, true);
 * assert.equal(evaluation.trueLists.length, 1);
 * ```
 */
export async function evaluateIfHeader(
  header: IfHeader,
  options: EvaluateIfOptions,
): Promise<IfEvaluation> {
  const states = new Map<string, Promise<IfResourceState>>();
  const stateOf = (path: string) => {
    let state = states.get(path);
    if (!state) {
      state = options.stateOf(path);
      states.set(path, state);
    }
    return state;
  };
  const tokens = new Set<string>();
  const trueLists: IfList[] = [];
  for (const list of header.lists) {
    for (const condition of list.conditions) {
      if (condition.type === "token") tokens.add(condition.token);
    }
    const path = list.resource === undefined ? options.requestPath : options.resolve(list.resource);
    if (path === undefined) continue;
    const state = await stateOf(path);
    if (list.conditions.every((condition) => conditionHolds(condition, state))) {
      trueLists.push(list);
    }
  }
  return { result: trueLists.length > 0, trueLists, tokens };
}
