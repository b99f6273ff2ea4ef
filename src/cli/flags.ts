/**
 * Command-line flags as both commands (`deno task serve`, `deno task storage`)
 * read them: `--name value` or `--name=value`, no positional arguments, and every
 * mistake a `TypeError` whose message the command prints before `(try --help)`.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/**
 * The values {@link parseFlags} returns: a string for each string flag given, a
 * boolean for each boolean flag given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FlagValues } from "./flags.ts";
 * const values: FlagValues<{ data: { type: "string" }; help: { type: "boolean" } }> = {
 *   data: "/tmp/d",
 * };
 * assert.equal(values.help, undefined);
 * ```
 */
export type FlagValues<T extends ParseArgsOptionsConfig> = {
  [K in keyof T]?: T[K] extends { type: "boolean" } ? boolean : string;
};

/**
 * Parses `args` against the flag definitions (`node:util` `parseArgs`, strict,
 * no positionals). An unknown flag, a missing value or a positional argument is
 * a `TypeError` with `parseArgs`' message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./flags.ts";
 * const flags = { data: { type: "string" }, help: { type: "boolean" } } as const;
 * assert.deepEqual({ ...parseFlags(["--data=/tmp/d", "--help"], flags) }, {
 *   data: "/tmp/d",
 *   help: true,
 * });
 * assert.throws(() => parseFlags(["--bogus"], flags), TypeError);
 * assert.throws(() => parseFlags(["positional"], flags), TypeError);
 * ```
 */
export function parseFlags<const T extends ParseArgsOptionsConfig>(
  args: string[],
  options: T,
): FlagValues<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false })
      .values as FlagValues<T>;
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
}

/**
 * A string flag's value, refusing an empty one (`--data=`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nonEmptyFlag } from "./flags.ts";
 * assert.equal(nonEmptyFlag("data", "/tmp/d"), "/tmp/d");
 * assert.equal(nonEmptyFlag("data", undefined), undefined);
 * assert.throws(() => nonEmptyFlag("data", ""), { message: "--data must not be empty" });
 * ```
 */
export function nonEmptyFlag(name: string, value: string | undefined): string | undefined {
  if (value === "") throw new TypeError(`--${name} must not be empty`);
  return value;
}

/**
 * Checks a `--region` value: 1 to 64 of `a-z`, `0-9` and `-`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkRegionFlag } from "./flags.ts";
 * assert.equal(checkRegionFlag("eu-west-1"), "eu-west-1");
 * assert.throws(() => checkRegionFlag("EU WEST"), { message: 'invalid --region "EU WEST"' });
 * ```
 */
export function checkRegionFlag(value: string): string {
  if (!/^[a-z0-9-]{1,64}$/.test(value)) throw new TypeError(`invalid --region "${value}"`);
  return value;
}
