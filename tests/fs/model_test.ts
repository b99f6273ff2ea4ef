// Model-based randomized test of BackupFS: long seeded sequences of operations
// applied to a BackupFS and to a real temp directory through `Deno.*` (the model),
// compared after every step. Both sides must succeed with equal results, or both
// fail with the same kind of error; then the trees (names, kinds, stat sizes) must
// be equal, and the bytes of the files the step touched plus a random sample (all
// files every few steps and at the end).
//
// Replay one seed: BACKUPFS_MODEL_SEED=<seed> [BACKUPFS_MODEL_STEPS=<n>] deno test \
//   --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run \
//   --allow-sys tests/fs/model_test.ts
//
// Where POSIX (the model) and BackupFS legitimately differ, the operation shape is
// skipped (S*) or the pair of errors is named exactly (M*); nothing else is relaxed.
//
// S1  Walking through a file. POSIX resolves a path component by component, so
//     `/file/x` (and anything below) is ENOTDIR for every call. BackupFS looks names
//     up in a flat namespace: a path below a file simply does not exist (NotFound);
//     it reports NotADirectory only where it checks the parent of something it
//     creates. Skipped: a looked-up operand with a file among its proper ancestors,
//     and a created operand with a file among its ancestors above its parent.
//     (mkdir recursive checks every ancestor, as POSIX does, and is never skipped.)
// S2  copyFile of a file onto itself: Deno refuses (EINVAL), BackupFS does nothing.
// S3  rename of a directory to a path inside itself whose parent is not an existing
//     directory: two errors apply (EINVAL and ENOENT/ENOTDIR); Linux reports the
//     path lookup first, BackupFS the "into itself" check first.
// S4  Opening or reading a directory as a file: Deno opens directories for reading,
//     BackupFS refuses with IsADirectory.
// S5  rename of a missing source to a path whose parent is a file: two errors apply
//     (ENOENT and ENOTDIR); Linux resolves both paths first, BackupFS the source.
// M1  rename of a directory onto a non-empty directory: the model's ENOTEMPTY ↔
//     BackupFS AlreadyExists (EEXIST, which rename(2) equally allows).
// M2  copyFile of a directory: Deno EINVAL (TypeError) ↔ BackupFS IsADirectory.
// M3  rename of a file or directory onto one of its own ancestor directories:
//     Linux ENOTEMPTY (the ancestor holds the source) ↔ BackupFS
//     OverlappingPathsError (EINVAL, a TypeError), which refuses any destination
//     containing the source before looking at kinds.
// M4  copyFile of a file onto one of its own ancestor directories: Deno EISDIR ↔
//     BackupFS OverlappingPathsError (EINVAL), as M3.
// `copy` has no Deno counterpart: the model spells out the semantics BackupFS
// documents (see DenoTarget.copy). `Deno.open` refuses append+truncate, so that
// flag combination is not generated.

import { assertEquals } from "../support/assert.ts";
import { type Backend, BACKENDS, openFs } from "./support/backends.ts";
import { Rng } from "./support/model_rng.ts";
import {
  BackupTarget,
  DenoTarget,
  type EditFlags,
  errorKind,
  type HandleAction,
  parentPath,
  type Target,
  type Tree,
} from "./support/model_targets.ts";

const CHUNK = 1024;
const NAMES = ["a", "b", "c", "d"];
const CI_SEEDS = [1, 2, 3, 4, 5, 6];
const DEFAULT_STEPS = 200;
/** Every this many steps (and at the end) every file's bytes are compared. */
const FULL_EVERY = 25;
/** Files compared byte for byte at other steps, besides the ones the step touched. */
const SAMPLE = 2;

interface Op {
  text: string;
  /** Paths whose bytes to compare after the step. */
  touches: string[];
  run(target: Target): Promise<unknown>;
  /** Why this shape is skipped (a documented difference), if it is. */
  skip?: string;
  /** A documented error pair: [model kind, BackupFS kind]. */
  mapped?: [string, string];
}

type Outcome = { ok: unknown } | { error: string; detail: unknown };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await run() };
  } catch (error) {
    return { error: errorKind(error), detail: error };
  }
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = parentPath(path); p !== "/"; p = parentPath(p)) out.push(p);
  return out;
}

/** S1: whether a path walks through a file (for created paths, above the parent). */
function walksThroughFile(tree: Tree, path: string, created: boolean): boolean {
  const list = ancestors(path);
  return (created ? list.slice(1) : list).some((a) => tree.get(a)?.startsWith("f"));
}

function isDir(tree: Tree, path: string): boolean {
  return path === "/" || tree.get(path) === "d";
}

function fileSize(tree: Tree, path: string): number {
  const v = tree.get(path);
  return v?.startsWith("f:") ? Number(v.slice(2)) : 0;
}

function inside(path: string, dir: string): boolean {
  return path.startsWith(`${dir}/`);
}

/** Generates one operation from the current (agreed) tree. */
class OpGenerator {
  constructor(readonly rng: Rng) {}

  #poolPath(): string {
    const depth = this.rng.range(1, 3);
    let p = "";
    for (let i = 0; i < depth; i++) p += `/${this.rng.pick(NAMES)}`;
    return p;
  }

  /** An existing path of a kind (when there is one) or a random pool path. */
  #path(tree: Tree, prefer: "file" | "dir" | "any"): string {
    if (this.rng.bool(0.65)) {
      const candidates = [...tree.entries()]
        .filter(([, v]) => prefer === "any" || (prefer === "dir") === (v === "d"))
        .map(([k]) => k);
      if (candidates.length > 0) return this.rng.pick(candidates);
    }
    return this.#poolPath();
  }

  #size(): number {
    return this.rng.bool(0.4)
      ? this.rng.pick([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK - 1])
      : this.rng.range(0, 5 * CHUNK);
  }

  next(tree: Tree): Op {
    const rng = this.rng;
    const kind = rng.weighted({
      writeFile: 14,
      edit: 12,
      append: 6,
      truncate: 6,
      readRange: 6,
      readStream: 5,
      rename: 9,
      copyFile: 5,
      copy: 4,
      remove: 8,
      mkdir: 11,
      readDir: 4,
      stat: 5,
    });
    switch (kind) {
      case "writeFile": {
        const p = this.#path(tree, "file");
        const data = rng.bytes(this.#size());
        const options = rng.weighted({ plain: 8, createNew: 1, noCreate: 1 });
        const flags = options === "createNew"
          ? { createNew: true }
          : options === "noCreate"
          ? { create: false }
          : {};
        return {
          text: `writeFile ${p} ${data.length}B ${JSON.stringify(flags)}`,
          touches: [p],
          run: (t) => t.writeFile(p, data, flags),
          ...(walksThroughFile(tree, p, options !== "noCreate") ? { skip: "S1" } : {}),
        };
      }
      case "append": {
        const p = this.#path(tree, "file");
        const data = rng.bytes(rng.range(0, 2 * CHUNK + 10));
        return {
          text: `append ${p} ${data.length}B`,
          touches: [p],
          run: (t) => t.writeFile(p, data, { append: true }),
          ...(walksThroughFile(tree, p, true) ? { skip: "S1" } : {}),
        };
      }
      case "truncate": {
        const p = this.#path(tree, "file");
        const size = rng.bool(0.5)
          ? rng.range(0, fileSize(tree, p))
          : rng.range(0, fileSize(tree, p) + 3 * CHUNK);
        return {
          text: `truncate ${p} ${size}`,
          touches: [p],
          run: (t) => t.truncate(p, size),
          ...(walksThroughFile(tree, p, false) ? { skip: "S1" } : {}),
        };
      }
      case "readRange":
      case "readStream": {
        const p = this.#path(tree, "file");
        const size = fileSize(tree, p);
        const start = rng.range(0, size + 100);
        const length = rng.range(0, 3 * CHUNK);
        const stream = kind === "readStream";
        return {
          text: `${kind} ${p} [${start}, ${start + length})`,
          touches: [],
          run: (t) =>
            stream ? t.readStream(p, start, start + length) : t.readRange(p, start, length),
          ...(walksThroughFile(tree, p, false) ? { skip: "S1" } : {}),
          ...(isDir(tree, p) ? { skip: "S4" } : {}),
        };
      }
      case "edit": {
        const p = this.#path(tree, "file");
        const flags: EditFlags = rng.pick<EditFlags>([
          { write: true },
          { write: true, create: true },
          { write: true, create: true, truncate: true },
          { write: true, truncate: true },
          { write: true, createNew: true },
          { write: true, append: true },
          { write: true, append: true, create: true },
        ]);
        let size = flags.truncate ? 0 : fileSize(tree, p);
        const actions: HandleAction[] = [];
        const count = rng.range(1, 4);
        for (let i = 0; i < count; i++) {
          const what = rng.weighted({ write: 6, truncate: 1, read: 2 });
          if (what === "write") {
            const at = rng.bool(0.3) ? size : rng.range(0, size + 3 * CHUNK / 2);
            const data = rng.bytes(rng.bool(0.1) ? 0 : rng.range(1, 3 * CHUNK));
            actions.push({ type: "write", at, data });
            size = flags.append ? size + data.length : Math.max(size, at + data.length);
          } else if (what === "truncate") {
            size = rng.range(0, size + 2 * CHUNK);
            actions.push({ type: "truncate", size });
          } else {
            actions.push({ type: "read", at: rng.range(0, size + 10), length: rng.range(0, 3000) });
          }
        }
        const creates = flags.create === true || flags.createNew === true;
        return {
          text: `edit ${p} ${JSON.stringify(flags)} ${
            actions.map((a) =>
              a.type === "write"
                ? `write@${a.at}+${a.data.length}`
                : a.type === "truncate"
                ? `truncate(${a.size})`
                : `read@${a.at}+${a.length}`
            ).join(" ")
          }`,
          touches: [p],
          run: (t) => t.edit(p, flags, actions),
          ...(walksThroughFile(tree, p, creates) ? { skip: "S1" } : {}),
        };
      }
      case "rename": {
        const from = this.#path(tree, "any");
        const to = rng.bool(0.3) && isDir(tree, from)
          ? `${from}/${rng.pick(NAMES)}` // into itself
          : this.#path(tree, "any");
        const fromDir = isDir(tree, from);
        const toDir = isDir(tree, to);
        const toNonEmpty = [...tree.keys()].some((k) => inside(k, to));
        return {
          text: `rename ${from} → ${to}`,
          touches: [...tree.keys()].filter((k) =>
            k === from || k === to || inside(k, from) || inside(k, to)
          ),
          run: (t) => t.rename(from, to),
          ...(walksThroughFile(tree, from, false) || walksThroughFile(tree, to, true)
            ? { skip: "S1" }
            : fromDir && inside(to, from) && !isDir(tree, parentPath(to))
            ? { skip: "S3" }
            : !tree.has(from) && tree.get(parentPath(to))?.startsWith("f")
            ? { skip: "S5" }
            : {}),
          ...(tree.has(from) && inside(from, to)
            ? { mapped: ["NotEmpty", "InvalidInput"] as [string, string] }
            : fromDir && toDir && toNonEmpty && tree.has(from)
            ? { mapped: ["NotEmpty", "AlreadyExists"] as [string, string] }
            : {}),
        };
      }
      case "copyFile": {
        const from = this.#path(tree, "file");
        const to = this.#path(tree, "any");
        return {
          text: `copyFile ${from} → ${to}`,
          touches: [to],
          run: (t) => t.copyFile(from, to),
          ...(walksThroughFile(tree, from, false) || walksThroughFile(tree, to, true)
            ? { skip: "S1" }
            : from === to
            ? { skip: "S2" }
            : {}),
          ...(isDir(tree, from)
            ? { mapped: ["InvalidInput", "IsADirectory"] as [string, string] }
            : tree.has(from) && inside(from, to)
            ? { mapped: ["IsADirectory", "InvalidInput"] as [string, string] }
            : {}),
        };
      }
      case "copy": {
        const from = this.#path(tree, "any");
        const to = rng.bool(0.15) && isDir(tree, from)
          ? `${from}/${rng.pick(NAMES)}`
          : this.#path(tree, "any");
        const recursive = rng.bool(0.85);
        return {
          text: `copy ${from} → ${to} recursive=${recursive}`,
          touches: [...tree.keys()].filter((k) => k === to || inside(k, to)),
          run: (t) => t.copy(from, to, recursive),
          ...(walksThroughFile(tree, from, false) || walksThroughFile(tree, to, true)
            ? { skip: "S1" }
            : {}),
        };
      }
      case "remove": {
        const p = this.#path(tree, rng.bool() ? "dir" : "any");
        const recursive = rng.bool(0.5);
        return {
          text: `remove ${p} recursive=${recursive}`,
          touches: [],
          run: (t) => t.remove(p, recursive),
          ...(walksThroughFile(tree, p, false) ? { skip: "S1" } : {}),
        };
      }
      case "mkdir": {
        const p = rng.bool(0.2) ? this.#path(tree, "any") : this.#poolPath();
        const recursive = rng.bool(0.5);
        return {
          text: `mkdir ${p} recursive=${recursive}`,
          touches: [],
          run: (t) => t.mkdir(p, recursive),
          ...(!recursive && walksThroughFile(tree, p, true) ? { skip: "S1" } : {}),
        };
      }
      case "readDir": {
        const p = rng.bool(0.2) ? "/" : this.#path(tree, rng.bool(0.8) ? "dir" : "any");
        return {
          text: `readDir ${p}`,
          touches: [],
          run: (t) => t.readDir(p),
          ...(walksThroughFile(tree, p, false) ? { skip: "S1" } : {}),
        };
      }
      case "stat": {
        const p = rng.bool(0.1) ? "/" : this.#path(tree, "any");
        return {
          text: `stat ${p}`,
          touches: [],
          run: (t) => t.stat(p),
          ...(walksThroughFile(tree, p, false) ? { skip: "S1" } : {}),
        };
      }
    }
  }
}

function sortedEntries(tree: Tree): [string, string][] {
  return [...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function describeOutcome(o: Outcome): string {
  if ("error" in o) return `error ${o.error} (${(o.detail as Error)?.message})`;
  const v = o.ok;
  if (v instanceof Uint8Array) return `ok ${v.length} bytes`;
  if (Array.isArray(v)) return `ok [${v.map((x) => x instanceof Uint8Array ? `${x.length}B` : x)}]`;
  return `ok ${JSON.stringify(v)}`;
}

function sameOutcome(op: Op, model: Outcome, fs: Outcome): boolean {
  if ("error" in model || "error" in fs) {
    if (!("error" in model) || !("error" in fs)) return false;
    if (model.error.startsWith("Other") || fs.error.startsWith("Other")) return false;
    if (op.mapped && model.error === op.mapped[0]) return fs.error === op.mapped[1];
    return model.error === fs.error;
  }
  try {
    assertEquals(fs.ok, model.ok);
    return true;
  } catch {
    return false;
  }
}

/** Runs one seeded sequence; throws with the seed and the recent history on a mismatch. */
async function runModel(
  backend: Backend,
  seed: number,
  options: { ttl: number; steps: number; script?: Op[] },
): Promise<Record<string, number>> {
  const fixture = await openFs(backend, { chunkSize: CHUNK, metadataTtlMs: options.ttl });
  const root = await Deno.makeTempDir({ prefix: "backupfs-model-" });
  const model = new DenoTarget(root);
  const fs = new BackupTarget(fixture.fs);
  const rng = new Rng(seed);
  const ops = new OpGenerator(new Rng(seed ^ 0x5bd1e995));
  const history: string[] = [];
  const counts: Record<string, number> = {};
  const where = (step: number) =>
    `seed=${seed} backend=${backend} metadataTtlMs=${options.ttl} step=${step}\n` +
    `replay: BACKUPFS_MODEL_SEED=${seed} BACKUPFS_MODEL_STEPS=${step + 1} deno test ` +
    `--allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run --allow-sys ` +
    `tests/fs/model_test.ts\nrecent steps:\n  ${history.slice(-12).join("\n  ")}`;
  try {
    let tree: Tree = new Map();
    const steps = options.script?.length ?? options.steps;
    for (let step = 0; step < steps; step++) {
      const op = options.script?.[step] ?? ops.next(tree);
      const label = op.text.split(" ")[0];
      if (op.skip) {
        counts[`skipped ${op.skip}`] = (counts[`skipped ${op.skip}`] ?? 0) + 1;
        history.push(`#${step} (skipped ${op.skip}) ${op.text}`);
        continue;
      }
      const m = await outcome(() => op.run(model));
      const f = await outcome(() => op.run(fs));
      counts[label] = (counts[label] ?? 0) + 1;
      history.push(`#${step} ${op.text} → model ${describeOutcome(m)}`);
      if (!sameOutcome(op, m, f)) {
        throw new Error(
          `outcomes differ for ${op.text}\n  model:   ${describeOutcome(m)}\n` +
            `  BackupFS: ${describeOutcome(f)}\n${where(step)}`,
          { cause: "detail" in f ? f.detail : undefined },
        );
      }
      tree = await model.snapshot();
      const fsTree = await fs.snapshot().catch((error) => {
        throw new Error(`BackupFS snapshot failed after ${op.text}\n${where(step)}`, {
          cause: error,
        });
      });
      try {
        assertEquals(sortedEntries(fsTree), sortedEntries(tree));
      } catch (error) {
        throw new Error(
          `trees differ after ${op.text}: ${(error as Error).message}\n${where(step)}`,
        );
      }
      const files = [...tree.entries()].filter(([, v]) => v !== "d").map(([k]) => k);
      const last = step === steps - 1;
      const check = (step + 1) % FULL_EVERY === 0 || last ? files : [
        ...op.touches.filter((p) => tree.get(p)?.startsWith("f")),
        ...Array.from({ length: Math.min(SAMPLE, files.length) }, () => rng.pick(files)),
      ];
      for (const p of new Set(check)) {
        const want = await model.readFile(p);
        const got = await fs.readFile(p).catch((error) => {
          throw new Error(`readFile ${p} failed after ${op.text}\n${where(step)}`, {
            cause: error,
          });
        });
        if (got.length !== want.length || got.some((b, i) => b !== want[i])) {
          const at = got.findIndex((b, i) => b !== want[i]);
          throw new Error(
            `bytes of ${p} differ after ${op.text} (lengths ${got.length}/${want.length}, ` +
              `first difference at ${at})\n${where(step)}`,
          );
        }
      }
    }
    return counts;
  } finally {
    await fixture.close();
    await Deno.remove(root, { recursive: true });
  }
}

/** A scripted step (same comparison as a random one). */
function scripted(text: string, run: (t: Target) => Promise<unknown>): Op {
  return { text, touches: [], run };
}

/**
 * Shapes the random runs found, replayed as fixed scripts so they stay covered
 * whatever the seeds draw.
 */
const SCRIPTS: { name: string; ttl: number; ops: Op[] }[] = [
  {
    // POSIX: ENOTDIR (the source is not a directory, so nothing can be "inside" it).
    name: "a file renamed or copied to a path below itself is NotADirectory",
    ttl: 0,
    ops: [
      scripted("writeFile /f", (t) => t.writeFile("/f", new Uint8Array([1, 2, 3]), {})),
      scripted("rename /f → /f/x", (t) => t.rename("/f", "/f/x")),
      scripted("copyFile /f → /f/x", (t) => t.copyFile("/f", "/f/x")),
      scripted("copy /f → /f/x", (t) => t.copy("/f", "/f/x", true)),
    ],
  },
  {
    // POSIX open(O_CREAT|O_EXCL) on anything that exists: EEXIST.
    name: "createNew on an existing directory is AlreadyExists",
    ttl: 0,
    ops: [
      scripted("mkdir /d", (t) => t.mkdir("/d", false)),
      scripted(
        "writeFile /d createNew",
        (t) => t.writeFile("/d", new Uint8Array(1), { createNew: true }),
      ),
      scripted("edit /d createNew", (t) => t.edit("/d", { write: true, createNew: true }, [])),
    ],
  },
  {
    name: "mkdir recursive makes cached-missing ancestors visible at once",
    ttl: 1000,
    ops: [
      scripted("stat /a", (t) => t.stat("/a")),
      scripted("stat /a/b", (t) => t.stat("/a/b")),
      scripted("mkdir -p /a/b/c", (t) => t.mkdir("/a/b/c", true)),
      scripted("stat /a", (t) => t.stat("/a")),
      scripted("readDir /a", (t) => t.readDir("/a")),
      scripted("remove /a/b/c", (t) => t.remove("/a/b/c", false)),
      scripted("stat /a/b", (t) => t.stat("/a/b")),
    ],
  },
];

for (const backend of BACKENDS) {
  for (const script of SCRIPTS) {
    Deno.test(`model: ${script.name} [${backend}]`, async () => {
      await runModel(backend, 1, { ttl: script.ttl, steps: 0, script: script.ops });
    });
  }
}

const envSeed = Deno.env.get("BACKUPFS_MODEL_SEED");
const envSteps = Deno.env.get("BACKUPFS_MODEL_STEPS");
const steps = envSteps ? Number(envSteps) : DEFAULT_STEPS;
// Each CI seed runs with one metadata TTL (0 and the default 1000 alternate); a
// replayed seed runs with both.
const runs = envSeed
  ? [0, 1000].map((ttl) => ({ seed: Number(envSeed), ttl }))
  : CI_SEEDS.map((seed, i) => ({ seed, ttl: i % 2 === 0 ? 0 : 1000 }));

for (const backend of BACKENDS) {
  for (const { seed, ttl } of runs) {
    Deno.test(`model: BackupFS matches a real directory, seed ${seed}, ttl ${ttl} [${backend}]`, async () => {
      const counts = await runModel(backend, seed, { ttl, steps });
      // The run exercised something: most steps ran on both sides.
      const ran = Object.entries(counts)
        .filter(([k]) => !k.startsWith("skipped"))
        .reduce((n, [, v]) => n + v, 0);
      if (ran < steps / 2) throw new Error(`seed ${seed}: only ${ran} of ${steps} steps ran`);
      if (Deno.env.get("BACKUPFS_MODEL_VERBOSE")) console.log(seed, ttl, backend, counts);
    });
  }
}
