/**
 * `backupfs scrub [--job ID… | --all-jobs] [--rate MB/s]`: reads every chunk of
 * every object, checks each chunk's SHA-256 and each object's `SUMMARY`, and
 * reports each damaged chunk with every file that uses it. Exit 1 when anything
 * is damaged or unreadable, 0 otherwise.
 *
 * @module
 */

import { parseSubcommand } from "./_args.ts";
import { listJobs } from "./_job_list.ts";
import { displayName, LineWriter } from "./_output.ts";
import { formatSize } from "../human_size.ts";
import { Progress } from "./_progress.ts";
import { Scrubber } from "./_scrubber.ts";
import {
  checkJobFlag,
  openTarget,
  TARGET_FLAGS,
  targetFromFlags,
  type TargetLocation,
} from "./_target.ts";
import { TokenBucket } from "./_token_bucket.ts";
import { runTool, type Tool } from "./_tool.ts";
import { toolUsage } from "./_usage.ts";

/** The `--help` text of `backupfs scrub`. */
const SCRUB_USAGE = toolUsage({
  synopsis: "scrub [options]",
  about: `Reads every chunk of every object of a job (ListObjects, ListChunks, GetChunk: from
the store's disk or the service, never from a cache), checks each chunk's length and
SHA-256 and each object's SUMMARY checksum (the SHA-256 of its chunks' digests), and
reports on stdout each damaged chunk with every file (BackupFS path) that uses it,
then a summary. A chunk shared by several files is read once while it is remembered
(the last 65,536 good ones). Safe while serve and storage run on the same store;
objects replaced or removed meanwhile are counted as changed, not as damage.`,
  options: `  --job ID              A job to scrub (default "default"); may be given several times.
  --all-jobs            Every job of the data directory (its SQLite metadata; the
                        BackupStorage API cannot list jobs, so not with --endpoint or
                        --metadata).
  --rate MB/s           Read at most this many megabytes (10^6 bytes) a second, on
                        average (default: as fast as it goes), e.g. --rate 20 or 0.5.`,
  jobOption: false,
  exit: "0 nothing damaged, 1 damaged or unreadable data (or a failure), 2 bad usage.",
});

interface ScrubOptions {
  help: boolean;
  target: TargetLocation;
  jobs: string[] | "all";
  rate?: number;
}

/**
 * Parses a `--rate` value: a positive number of MB (10^6 bytes) a second; the
 * bytes a second.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRate } from "./scrub.ts";
 * assert.equal(parseRate("20"), 20_000_000);
 * assert.equal(parseRate("0.5"), 500_000);
 * assert.throws(() => parseRate("fast"), /invalid --rate "fast"/);
 * assert.throws(() => parseRate("0"), /invalid --rate "0"/);
 * ```
 */
export function parseRate(text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value > 0) || value > 1e6) {
    throw new TypeError(`invalid --rate "${text}": expected MB per second, e.g. 20 or 0.5`);
  }
  return Math.max(1, Math.round(value * 1e6));
}

function parse(args: string[]): ScrubOptions {
  const { values } = parseSubcommand(args, {
    job: { type: "string", multiple: true },
    "all-jobs": { type: "boolean" },
    rate: { type: "string" },
    ...TARGET_FLAGS,
    help: { type: "boolean" },
  }, { names: [], required: 0 });
  const target = targetFromFlags(values);
  const named = values.job as string[] | undefined;
  let jobs: string[] | "all";
  if (values["all-jobs"]) {
    if (named !== undefined) throw new TypeError("--all-jobs and --job exclude each other");
    if (target.kind === "endpoint" || target.location.metadata !== undefined) {
      throw new TypeError(
        "--all-jobs needs a data directory with SQLite metadata: the BackupStorage API " +
          "cannot list jobs (name each with --job)",
      );
    }
    jobs = "all";
  } else {
    jobs = [...new Set((named ?? [undefined]).map(checkJobFlag))];
  }
  return {
    help: values.help ?? false,
    target,
    jobs,
    ...(values.rate === undefined ? {} : { rate: parseRate(values.rate) }),
  };
}

const SCRUB: Tool<ScrubOptions> = {
  name: "scrub",
  usage: SCRUB_USAGE,
  parse,
  async run(options, say) {
    const first = options.jobs === "all" ? "default" : options.jobs[0];
    const target = await openTarget(options.target, first);
    const progress = new Progress();
    const out = new LineWriter();
    try {
      const jobs = options.jobs === "all" ? listJobs(target.sqlitePath!) : options.jobs;
      const scrubber = new Scrubber(target.storage, {
        ...(options.rate === undefined ? {} : { rate: new TokenBucket(options.rate) }),
        onObject: (job, path) =>
          progress.file(jobs.length > 1 ? `${job}:${path}` : path, undefined),
        onBytes: (n) => progress.add(n),
        onDamage: (message) => {
          progress.end();
          say(displayName(message));
        },
      });
      for (const job of jobs) {
        const before = scrubber.totals.objects + scrubber.totals.changed;
        await scrubber.scrubJob(job);
        if (scrubber.totals.objects + scrubber.totals.changed === before) {
          progress.end();
          say(`warning: job "${job}" has no objects`);
        }
      }
      progress.end();
      for (const chunk of scrubber.damagedChunks) {
        await out.line(`DAMAGED chunk ${chunk.checksum} (${chunk.length} bytes): ${chunk.reason}`);
        await out.line(
          `  used by ${chunk.uses.length} file${chunk.uses.length === 1 ? "" : "s"}:`,
        );
        for (const use of chunk.uses) {
          await out.line(`  job "${use.job}" ${displayName(use.path)} (chunk ${use.index})`);
        }
      }
      for (const object of scrubber.damagedObjects) {
        await out.line(
          `DAMAGED object job "${object.job}" ${displayName(object.path)}: ${object.reason}`,
        );
      }
      const t = scrubber.totals;
      const files = new Set(
        scrubber.damagedChunks.flatMap((c) => c.uses.map((u) => `${u.job}\0${u.path}`)),
      );
      for (const object of scrubber.damagedObjects) files.add(`${object.job}\0${object.path}`);
      await out.line(
        `scrub: ${t.jobs} job${t.jobs === 1 ? "" : "s"}, ${t.objects} objects, ` +
          `${t.chunks} chunks (${t.chunksRead} read), ${t.bytes} bytes (${
            formatSize(t.bytes)
          }) checked; ` +
          `${scrubber.damagedChunks.length} damaged chunks, ${scrubber.damagedObjects.length} ` +
          `damaged objects, ${files.size} damaged files` +
          (t.changed > 0 ? `; ${t.changed} objects changed during the scrub (not checked)` : ""),
      );
      await out.flush();
      return scrubber.clean ? 0 : 1;
    } finally {
      progress.end();
      await target.close();
    }
  },
};

/**
 * Runs `backupfs scrub` with its arguments; resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scrub } from "./scrub.ts";
 * const original = console.error;
 * console.error = () => {};
 * try {
 *   assert.equal(await scrub(["--all-jobs", "--endpoint", "http://127.0.0.1:9"]), 2);
 *   assert.equal(await scrub(["--rate", "-1"]), 2);
 * } finally {
 *   console.error = original;
 * }
 * ```
 */
export function scrub(args: string[]): Promise<number> {
  return runTool(args, SCRUB);
}
