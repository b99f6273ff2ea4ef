/**
 * The command line of one `backupfs` subcommand: flags (long, and the short
 * letters a subcommand defines) and a bounded number of positional arguments.
 * Every mistake is a `TypeError` whose message the command prints before
 * `(try --help)`, exit 2.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import type { FlagValues } from "../flags.ts";

/**
 * How many positional arguments a subcommand takes, and their names for the
 * error message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Positionals } from "./_args.ts";
 * const positionals: Positionals = { names: ["LOCAL", "REMOTE"], required: 2 };
 * assert.equal(positionals.names.length, 2);
 * ```
 */
export interface Positionals {
  /** Names of the positional arguments, in order (e.g. `["LOCAL", "REMOTE"]`). */
  names: string[];
  /** How many of them must be given (the rest are optional). */
  required: number;
}

/**
 * What {@link parseSubcommand} returns: the flag values and the positionals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ParsedSubcommand } from "./_args.ts";
 * const parsed: ParsedSubcommand<{ force: { type: "boolean" } }> = {
 *   values: { force: true },
 *   positionals: ["a", "b"],
 * };
 * assert.equal(parsed.values.force, true);
 * ```
 */
export interface ParsedSubcommand<T extends ParseArgsOptionsConfig> {
  /** Flag values (a string, a string array for `multiple`, or a boolean). */
  values: FlagValues<T> & { [K in keyof T]?: T[K] extends { multiple: true } ? string[] : unknown };
  /** The positional arguments, in order. */
  positionals: string[];
}

/**
 * The first sentence of a `parseArgs` message (the rest explains `--` at length),
 * with a hint for an option value that starts with a dash.
 */
function firstSentence(message: string): string {
  const first = message.split(/\.(?:\s|$)/)[0];
  return / argument is ambiguous$/.test(first)
    ? `${first} (a value starting with "-" is written --NAME=VALUE)`
    : first;
}

/**
 * Parses a subcommand's arguments (`node:util` `parseArgs`, strict, with
 * positionals). A `--` ends the flags (so a name starting with `-` can be
 * given). Too few or too many positionals, an unknown flag or a missing value
 * is a `TypeError`; `--help` needs no positionals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSubcommand } from "./_args.ts";
 * const flags = { recursive: { type: "boolean", short: "r" }, help: { type: "boolean" } } as const;
 * const positionals = { names: ["LOCAL", "REMOTE"], required: 2 };
 * const parsed = parseSubcommand(["-r", "dir", "/backup"], flags, positionals);
 * assert.equal(parsed.values.recursive, true);
 * assert.deepEqual(parsed.positionals, ["dir", "/backup"]);
 * assert.throws(() => parseSubcommand(["dir"], flags, positionals), {
 *   message: "missing REMOTE",
 * });
 * assert.throws(() => parseSubcommand(["a", "b", "c"], flags, positionals), {
 *   message: 'unexpected argument "c"',
 * });
 * assert.deepEqual(parseSubcommand(["--help"], flags, positionals).positionals, []);
 * assert.throws(() => parseSubcommand(["--bogus"], flags, positionals), {
 *   message: "Unknown option '--bogus'",
 * });
 * ```
 */
export function parseSubcommand<const T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
  positionals: Positionals,
): ParsedSubcommand<T> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new TypeError(firstSentence((error as Error).message));
  }
  const values = parsed.values as ParsedSubcommand<T>["values"];
  const given = parsed.positionals;
  if ((values as { help?: boolean }).help) return { values, positionals: given };
  if (given.length < positionals.required) {
    throw new TypeError(`missing ${positionals.names[given.length]}`);
  }
  if (given.length > positionals.names.length) {
    throw new TypeError(`unexpected argument "${given[positionals.names.length]}"`);
  }
  return { values, positionals: given };
}
