/**
 * How both commands start, written once: parse the command line (a bad one is
 * reported with `(try --help)` and exits 2), print `--help` (exit 0), else run.
 *
 * @module
 */

import { styleMessage } from "./message_style.ts";

/**
 * What {@link runCommand} runs: a command's parser, `--help` text, reporter and body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Command } from "./run_command.ts";
 * const command: Command<{ help: boolean }> = {
 *   parse: (args) => ({ help: args.includes("--help") }),
 *   usage: "Usage: demo",
 *   say: (message) => console.error(`demo: ${message}`),
 *   run: () => Promise.resolve(0),
 * };
 * assert.deepEqual(command.parse(["--help"]), { help: true });
 * ```
 */
export interface Command<T extends { help: boolean }> {
  /** Parses the command line; throws a `TypeError` with a readable message. */
  parse: (args: string[]) => T;
  /** The `--help` text, printed on stdout. */
  usage: string;
  /** Reports on stderr in the command's style (`PREFIX: message`). */
  say: (message: string) => void;
  /** Runs the command with its parsed options; resolves with the exit code. */
  run: (options: T) => Promise<number>;
}

/**
 * Parses `args` with `command.parse`: a `TypeError` is reported in the shared
 * style with `(try --help)` and gives exit code 2; `--help` prints the usage and
 * gives 0; otherwise resolves with what `command.run` resolves with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Command, runCommand } from "./run_command.ts";
 * const said: string[] = [];
 * const command: Command<{ help: boolean }> = {
 *   parse: (args) => {
 *     if (args[0] === "--bogus") throw new TypeError("Unknown option '--bogus'.");
 *     return { help: false };
 *   },
 *   usage: "Usage: demo",
 *   say: (message) => said.push(message),
 *   run: () => Promise.resolve(0),
 * };
 * assert.equal(await runCommand(["--bogus"], command), 2);
 * assert.deepEqual(said, ["unknown option '--bogus' (try --help)"]);
 * assert.equal(await runCommand([], command), 0);
 * ```
 */
export async function runCommand<T extends { help: boolean }>(
  args: string[],
  command: Command<T>,
): Promise<number> {
  let options: T;
  try {
    options = command.parse(args);
  } catch (error) {
    command.say(`${styleMessage((error as Error).message)} (try --help)`);
    return 2;
  }
  if (options.help) {
    console.log(command.usage);
    return 0;
  }
  return await command.run(options);
}
