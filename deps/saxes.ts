/**
 * The streaming XML tokenizer under the WebDAV request-body parser, pinned here.
 *
 * @module
 */

export { SaxesParser } from "npm:saxes@6.0.0";
export type { SaxesStartTagPlain, SaxesTagPlain } from "npm:saxes@6.0.0";
