/**
 * Reading the headers a reverse proxy adds (`Forwarded`, RFC 7239, and the
 * `X-Forwarded-*` family): private helpers of `public_origin.ts` and
 * `forwarded_client.ts`, which decide whether to believe them.
 *
 * @module
 */

/** The last of a comma-separated header's values (the one the nearest proxy added). */
export function lastValue(value: string | null): string | undefined {
  if (value === null) return undefined;
  const parts = value.split(",");
  const last = parts[parts.length - 1].trim();
  return last === "" ? undefined : last;
}

/** What the last element of a `Forwarded` header says. */
export interface ForwardedElement {
  /** `proto=`: the scheme the client used. */
  proto?: string;
  /** `host=`: the Host header the client sent. */
  host?: string;
  /** `for=`: the client's address (an IPv6 address in brackets, maybe with a port). */
  for?: string;
}

/** `proto`, `host` and `for` of the last element of a `Forwarded` header (RFC 7239 §4). */
export function forwardedElement(value: string | null): ForwardedElement {
  const element = lastValue(value);
  if (element === undefined) return {};
  const result: ForwardedElement = {};
  for (const pair of element.split(";")) {
    const equals = pair.indexOf("=");
    if (equals === -1) continue;
    const key = pair.slice(0, equals).trim().toLowerCase();
    let text = pair.slice(equals + 1).trim();
    if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
    if (key === "proto") result.proto = text;
    else if (key === "host") result.host = text;
    else if (key === "for") result.for = text;
  }
  return result;
}
