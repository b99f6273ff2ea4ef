/**
 * How every file tool and `scrub` runs, written once: parse (a bad command line
 * exits 2 with `(try --help)`, `--help` prints the usage), open the target, run,
 * close; a failure is one line on stderr (`backupfs CMD: message`) and exit 1.
 * A closed stdout (`| head`) ends the command quietly, exit 0.
 *
 * @module
 */

import { report } from "../message_style.ts";
import { runCommand } from "../run_command.ts";
import { isClosedOutput } from "./_output.ts";

/**
 * One subcommand: its name, `--help` text, parser and body. The body returns
 * its exit code (0 or 1) or throws; a thrown error is reported and exits 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Tool } from "./_tool.ts";
 * const tool: Tool<{ help: boolean }> = {
 *   name: "demo",
 *   usage: "Usage: backupfs demo",
 *   parse: (args) => ({ help: args.includes("--help") }),
 *   run: () => Promise.resolve(0),
 * };
 * assert.equal(tool.name, "demo");
 * ```
 */
export interface Tool<T extends { help: boolean }> {
  /** The subcommand's name (messages start with `backupfs NAME:`). */
  name: string;
  /** The `--help` text. */
  usage: string;
  /** Parses the arguments; throws a `TypeError` with a readable message. */
  parse: (args: string[]) => T;
  /** Runs it; resolves with the exit code. */
  run: (options: T, say: (message: string) => void) => Promise<number>;
}

/**
 * What a failure says: the error's message, with its cause's when it has one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failureText } from "./_tool.ts";
 * assert.equal(failureText(new Error("outer", { cause: new Error("inner") })), "outer (inner)");
 * assert.equal(failureText("plain"), "plain");
 * ```
 */
export function failureText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && !error.message.includes(error.cause.message)
    ? ` (${error.cause.message})`
    : "";
  return `${error.message}${cause}`;
}

/**
 * Runs a tool with `args`: exit 2 on a bad command line, 0 after `--help`,
 * else what its body resolves with; a thrown error is reported and gives 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTool, type Tool } from "./_tool.ts";
 * const tool: Tool<{ help: boolean; fail: boolean }> = {
 *   name: "demo",
 *   usage: "Usage: backupfs demo",
 *   parse: (args) => {
 *     if (args.includes("--bogus")) throw new TypeError("Unknown option '--bogus'");
 *     return { help: false, fail: args.includes("--fail") };
 *   },
 *   run: (options) => options.fail ? Promise.reject(new Error("It broke.")) : Promise.resolve(0),
 * };
 * const said: unknown[] = [];
 * const original = console.error;
 * console.error = (line: unknown) => said.push(line);
 * try {
 *   assert.equal(await runTool(["--bogus"], tool), 2);
 *   assert.equal(await runTool(["--fail"], tool), 1);
 *   assert.equal(await runTool([], tool), 0);
 * } finally {
 *   console.error = original;
 * }
 * assert.deepEqual(said, [
 *   "backupfs demo: unknown option '--bogus' (try --help)",
 *   "backupfs demo: it broke",
 * ]);
 * ```
 */
export function runTool<T extends { help: boolean }>(
  args: string[],
  tool: Tool<T>,
): Promise<number> {
  const say = (message: string) => report(`backupfs ${tool.name}`, message);
  return runCommand(args, {
    parse: tool.parse,
    usage: tool.usage,
    say,
    run: async (options) => {
      try {
        return await tool.run(options, say);
      } catch (error) {
        if (isClosedOutput(error)) return 0;
        say(failureText(error));
        return 1;
      }
    },
  });
}
