// BackupFS under storage faults, in-process and with the faults BEHIND the HTTP
// service (they cross the wire as typed errors and corrupted bodies):
// (a) reads never return a wrong byte — a chunk corrupted once is refetched, one
//     corrupted every time is InvalidData, and the chunk cache never keeps it;
// (b) a write that fails at StartObject / PutChunk / NotifyObjectComplete /
//     PutObject leaves the old version (or nothing), and the next write works;
// (c) retryable throttling at every write step is absorbed;
// (d) a seeded run of 200 operations with ~10% of storage calls failing, checked
//     against an in-memory model that only advances when an operation succeeded.

import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import type { BackupFS } from "../../src/fs/backup_fs.ts";
import {
  IllegalArgumentException,
  RetryableException,
  ServiceInternalException,
  ServiceUnavailableException,
  ThrottlingException,
} from "../../src/storage/errors.ts";
import type { OperationName } from "../../src/storage/types.ts";
import { type Backend, BACKENDS, bytesOf } from "./support/backends.ts";
import { type FaultFixture, openFaultyFs } from "./support/fault_fixtures.ts";
import { Rng } from "./support/model_rng.ts";

const KIB = 1024;

/** A broken promise of BackupFS (a wrong byte, a wrong state): never an injected fault. */
class Violation extends Error {
  override name = "Violation";
}

async function withFixture(
  backend: Backend,
  options: Parameters<typeof openFaultyFs>[1],
  fn: (fixture: FaultFixture) => Promise<void>,
): Promise<void> {
  const fixture = await openFaultyFs(backend, options);
  try {
    await fn(fixture);
  } finally {
    await fixture.close();
  }
}

/** Fails unless `got` equals `truth` from `offset`, naming the first wrong byte. */
function assertSlice(got: Uint8Array, truth: Uint8Array, offset: number, context: string): void {
  if (offset + got.length > truth.length) {
    throw new Violation(`${context}: ${got.length} bytes at ${offset} run past the end`);
  }
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== truth[offset + i]) {
      throw new Violation(
        `${context}: wrong byte at ${offset + i}: ${got[i]} != ${truth[offset + i]}`,
      );
    }
  }
}

/** `assertRejects` that names the case when it fails. */
async function rejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: abstract new (...args: any[]) => E,
  context: string,
): Promise<E> {
  try {
    return await assertRejects(fn, type);
  } catch (error) {
    throw new Error(`${context}: ${(error as Error).message}`, { cause: error });
  }
}

type ReadMethod = "readFile" | "read" | "readStream";
const READ_METHODS: ReadMethod[] = ["readFile", "read", "readStream"];

/**
 * Reads [start, end) of `path` by one method, checking every byte it hands out
 * against `truth` as it comes; resolves the bytes, or rejects with the read's error.
 */
async function readChecked(
  fs: BackupFS,
  path: string,
  method: ReadMethod,
  truth: Uint8Array,
  range: { start: number; end: number } = { start: 0, end: truth.length },
): Promise<Uint8Array> {
  const { start, end } = range;
  const context = `${method} ${path} [${start}, ${end})`;
  if (method === "readFile") {
    const bytes = await fs.readFile(path);
    assertEquals(bytes.length, truth.length, `${context}: length`);
    assertSlice(bytes, truth, 0, context);
    return bytes.slice(start, end);
  }
  const out = new Uint8Array(end - start);
  let filled = 0;
  if (method === "read") {
    const file = await fs.open(path);
    try {
      await file.seek(start, Deno.SeekMode.Start);
      while (filled < out.length) {
        const n = await file.read(out.subarray(filled, Math.min(out.length, filled + 1500)));
        if (n === null) break;
        assertSlice(out.subarray(filled, filled + n), truth, start + filled, context);
        filled += n;
      }
    } finally {
      await file.close();
    }
  } else {
    const stream = await fs.readStream(path, { start, end });
    for await (const piece of stream) {
      assertSlice(piece, truth, start + filled, context);
      out.set(piece, filled);
      filled += piece.length;
    }
  }
  assertEquals(filled, end - start, `${context}: length`);
  return out;
}

// ------------------------------------------------------------------- (a) reads

for (const backend of BACKENDS) {
  Deno.test(`faults: a chunk corrupted once is refetched and every byte is right [${backend}]`, async () => {
    await withFixture(backend, {}, async ({ fs, faulty, fresh }) => {
      const truth = bytesOf(6 * KIB + 300, 11);
      await fs.writeFile("/c.bin", truth);
      for (const method of READ_METHODS) {
        for (const start of [0, 2 * KIB + 5, 6 * KIB]) {
          const reader = fresh(); // empty chunk cache: every chunk comes from storage
          faulty.reset();
          faulty.corrupt(1);
          const got = await readChecked(reader, "/c.bin", method, truth, {
            start,
            end: truth.length,
          });
          assertEquals(got, truth.slice(start));
          assertEquals(faulty.pending("GetChunk"), 0, `${method}@${start}: corruption not hit`);
          const touched = Math.ceil(truth.length / KIB) - Math.floor(start / KIB);
          assert(
            faulty.calls.GetChunk >= (method === "readFile" ? 7 : touched) + 1,
            `${method}@${start}: expected a refetch, saw ${faulty.calls.GetChunk} GetChunks`,
          );
        }
      }
    });
  });

  Deno.test(`faults: a chunk corrupt every time is InvalidData, never a wrong byte, never cached [${backend}]`, async () => {
    await withFixture(backend, {}, async ({ fs, faulty, fresh }) => {
      const truth = bytesOf(5 * KIB + 17, 12);
      await fs.writeFile("/bad.bin", truth);
      const reader = fresh();
      for (const method of READ_METHODS) {
        for (const start of [0, 3 * KIB + 1]) {
          faulty.reset();
          faulty.corrupt(10_000);
          await assertRejects(
            () => readChecked(reader, "/bad.bin", method, truth, { start, end: truth.length }),
            Deno.errors.InvalidData,
          );
          assert(faulty.calls.GetChunk >= 2, `${method}: fetched and refetched`);
        }
      }
      // Corruption stops: the same file system (same chunk cache) reads it right.
      faulty.reset();
      for (const method of READ_METHODS) {
        assertEquals(await readChecked(reader, "/bad.bin", method, truth), truth);
      }
      // Chunks now cached serve the reads; corruption of storage no longer matters.
      faulty.corrupt(10_000);
      assertEquals(await readChecked(reader, "/bad.bin", "read", truth), truth);
      faulty.reset();
    });
  });

  Deno.test(`faults: random corruption of 30% of GetChunks never yields a wrong byte [${backend}]`, async () => {
    await withFixture(backend, {
      seed: 7,
      random: { failProbability: 0, corruptProbability: 0.3 },
    }, async ({ fs, random, fresh }) => {
      const files = new Map<string, Uint8Array>();
      for (const [i, size] of [100, KIB, 3 * KIB + 7, 8 * KIB].entries()) {
        files.set(`/r${i}.bin`, bytesOf(size, 20 + i));
        await fs.writeFile(`/r${i}.bin`, files.get(`/r${i}.bin`)!);
      }
      const rng = new Rng(99);
      let reader = fresh();
      let ok = 0;
      let invalid = 0;
      random.enabled = true;
      for (let i = 0; i < 80; i++) {
        if (i % 10 === 0) reader = fresh({ cacheBytes: 2 * KIB }); // a tiny cache refetches often
        const [path, truth] = rng.pick([...files.entries()]);
        const start = rng.range(0, truth.length);
        const end = rng.range(start, truth.length);
        const method = rng.pick(READ_METHODS);
        try {
          await readChecked(reader, path, method, truth, { start, end });
          ok++;
        } catch (error) {
          if (!(error instanceof Deno.errors.InvalidData)) throw error;
          invalid++;
        }
      }
      random.enabled = false;
      assert(random.injected.corrupted > 0 && ok > 0, `ok ${ok}, invalid ${invalid}`);
      for (const [path, truth] of files) {
        assertEquals(await readChecked(reader, path, "readFile", truth), truth);
      }
    });
  });
}

// ----------------------------------------------------- (b), (c) failing writes

type WriteShape = "writeFile" | "stream" | "spool";
interface WriteCase {
  shape: WriteShape;
  size: number;
}

/** What storage operations a write of this shape and size makes (1 KiB chunks). */
function operationsOf(size: number): OperationName[] {
  return size <= KIB ? ["PutObject"] : ["StartObject", "PutChunk", "NotifyObjectComplete"];
}

/** Writes `data` to `path` by one shape; rejects when any step (close included) fails. */
async function writeBy(fs: BackupFS, path: string, shape: WriteShape, data: Uint8Array) {
  if (shape === "writeFile") return await fs.writeFile(path, data);
  const file = await fs.open(path, { write: true, create: true, truncate: true });
  try {
    if (shape === "stream") {
      // Sequential from 0: streamed while written.
      for (let i = 0; i < data.length; i += 700) await file.write(data.subarray(i, i + 700));
    } else {
      // Out of order: the tail first, then the head — spooled, uploaded at close.
      const cut = Math.min(100, data.length);
      await file.seek(cut, Deno.SeekMode.Start);
      await file.write(data.subarray(cut));
      await file.seek(0, Deno.SeekMode.Start);
      await file.write(data.subarray(0, cut));
    }
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.close();
}

/** The file reads back as `expected` (or does not exist), through `fs` and a fresh BackupFS. */
async function assertFileState(
  fixture: FaultFixture,
  path: string,
  expected: Uint8Array | undefined,
  context: string,
): Promise<void> {
  for (const fs of [fixture.fs, fixture.fresh()]) {
    if (expected === undefined) {
      await rejects(() => fs.stat(path), Deno.errors.NotFound, context);
      const names: string[] = [];
      for await (const e of fs.readDir("/")) names.push(e.name);
      assert(!names.includes(path.slice(1)), `${context}: listed after a failed create`);
    } else {
      assertEquals((await fs.stat(path)).size, expected.length, `${context}: stat size`);
      assertEquals(await fs.readFile(path), expected, `${context}: bytes`);
    }
  }
}

const WRITE_CASES: WriteCase[] = [
  { shape: "writeFile", size: 700 },
  { shape: "writeFile", size: 4 * KIB + 100 },
  { shape: "stream", size: 500 },
  { shape: "stream", size: 3 * KIB + 500 },
  { shape: "spool", size: 900 },
  { shape: "spool", size: 3 * KIB + 10 },
];
const PRIORS: [string, Uint8Array | undefined][] = [
  ["new", undefined],
  ["existing small", bytesOf(300, 31)],
  ["existing multi-chunk", bytesOf(3 * KIB + 77, 32)],
];

for (const backend of BACKENDS) {
  Deno.test(`faults: a write failing at any storage step leaves the old version [${backend}]`, async () => {
    await withFixture(backend, {}, async (fixture) => {
      const { fs, random } = fixture;
      let n = 0;
      for (const { shape, size } of WRITE_CASES) {
        for (const [priorName, prior] of PRIORS) {
          for (const op of operationsOf(size)) {
            // PutChunk: fail the first, or a later one while others are in flight.
            for (const nth of op === "PutChunk" ? [1, 3] : [1]) {
              const path = `/w${n++}.bin`;
              const context = `${shape} ${size}B over ${priorName}, ${op} #${nth} fails`;
              if (prior) await fs.writeFile(path, prior);
              random.failCall(op, nth, () => new IllegalArgumentException("injected"));
              const data = bytesOf(size, n);
              await rejects(() => writeBy(fs, path, shape, data), Error, context);
              assert(!random.scheduled(op), `${context}: the fault was never reached`);
              await assertFileState(fixture, path, prior, context);
              // A later write succeeds.
              await writeBy(fs, path, shape, data);
              await assertFileState(fixture, path, data, `${context}, then rewritten`);
            }
          }
        }
      }
    });
  });

  Deno.test(`faults: a write whose step keeps failing with a retryable error gives up and leaves the old version [${backend}]`, async () => {
    await withFixture(backend, {}, async (fixture) => {
      const { fs, faulty } = fixture;
      const prior = bytesOf(2 * KIB + 3, 40);
      for (
        const [shape, size, op] of [
          ["writeFile", 4 * KIB, "PutChunk"],
          ["writeFile", 600, "PutObject"],
          ["stream", 2 * KIB + 1, "NotifyObjectComplete"],
        ] as [WriteShape, number, OperationName][]
      ) {
        const path = `/persist-${op}.bin`;
        const context = `${shape} ${size}B, ${op} always ServiceInternalException`;
        await fs.writeFile(path, prior);
        faulty.reset();
        faulty.fail(op, () => new ServiceInternalException("injected"), 1000);
        await rejects(
          () => writeBy(fs, path, shape, bytesOf(size, 41)),
          ServiceInternalException,
          context,
        );
        assert(faulty.calls[op] >= 2, `${context}: retried (${faulty.calls[op]} calls)`);
        faulty.reset();
        await assertFileState(fixture, path, prior, context);
        await writeBy(fs, path, shape, bytesOf(size, 42));
        await assertFileState(fixture, path, bytesOf(size, 42), `${context}, then rewritten`);
      }
    });
  });

  Deno.test(`faults: throttling at every write step is absorbed and the file reads back exactly [${backend}]`, async () => {
    await withFixture(backend, {}, async (fixture) => {
      const { fs, faulty } = fixture;
      const retryable = [
        () => new ThrottlingException("slow down"),
        () => new ServiceUnavailableException("busy"),
        () => new RetryableException("again"),
      ];
      let n = 0;
      for (const { shape, size } of WRITE_CASES) {
        for (const [priorName, prior] of PRIORS) {
          for (const op of operationsOf(size)) {
            const path = `/t${n++}.bin`;
            const context = `${shape} ${size}B over ${priorName}, ${op} throttled twice`;
            if (prior) await fs.writeFile(path, prior);
            faulty.reset();
            faulty.fail(op, retryable[n % retryable.length], 2);
            const data = bytesOf(size, 50 + n);
            await writeBy(fs, path, shape, data);
            assertEquals(faulty.pending(op), 0, `${context}: faults not all hit`);
            assertEquals(faulty.calls[op] >= 3, true, `${context}: ${faulty.calls[op]} calls`);
            await assertFileState(fixture, path, data, context);
          }
        }
      }
    });
  });
}

// ------------------------------------------------------- (d) randomized run

const POOL = ["/f0", "/f1", "/f2", "/d/f3", "/d/f4", "/d/e/f5"];
const DIRS = ["/", "/d", "/d/e"];
const RANDOM_SEEDS = [101, 202];
const RANDOM_STEPS = 200;

type Model = Map<string, Uint8Array>;

function injectedError(rng: Rng): Error {
  return rng.pick([
    () => new ThrottlingException("injected"),
    () => new ThrottlingException("injected"),
    () => new IllegalArgumentException("injected"),
    () => new ServiceInternalException("injected"),
  ])();
}

/** What a path holds right now (faults off): its bytes, or undefined when missing. */
async function observe(fs: BackupFS, path: string): Promise<Uint8Array | undefined> {
  try {
    return await fs.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

async function randomRun(backend: Backend, seed: number): Promise<void> {
  await withFixture(backend, {
    seed,
    // A tiny chunk cache: reads under faults fetch from storage again.
    fs: { metadataTtlMs: 1000, cacheBytes: 3 * KIB },
    random: { failProbability: 0.1, corruptProbability: 0.1, errors: injectedError },
  }, async ({ fs, random }) => {
    const rng = new Rng(seed);
    const model: Model = new Map();
    await fs.mkdir("/d");
    await fs.mkdir("/d/e");
    const history: string[] = [];
    let succeeded = 0;
    let failed = 0;
    const fail = (message: string): never => {
      throw new Violation(
        `${message}\nseed=${seed} backend=${backend}\nrecent steps:\n  ${
          history.slice(-10).join("\n  ")
        }`,
      );
    };
    for (let step = 0; step < RANDOM_STEPS; step++) {
      const existing = POOL.filter((p) => model.has(p));
      const any = rng.pick(POOL);
      const file = existing.length > 0 ? rng.pick(existing) : undefined;
      const kind = rng.weighted({
        writeFile: 5,
        append: 2,
        edit: 3,
        truncate: file ? 2 : 0,
        copyFile: file ? 2 : 0,
        rename: file ? 2 : 0,
        remove: file ? 1 : 0,
        read: file ? 5 : 0,
        stat: 1,
        readDir: 1,
      });
      let text = kind as string;
      // What the model becomes if the operation succeeds; reads return bytes to check.
      let apply: () => void = () => {};
      let run: () => Promise<unknown>;
      let expectRead: Uint8Array | undefined;
      switch (kind) {
        case "writeFile": {
          const data = rng.bytes(rng.range(0, 4 * KIB + 500));
          text = `writeFile ${any} ${data.length}B`;
          run = () => fs.writeFile(any, data);
          apply = () => model.set(any, data);
          break;
        }
        case "append": {
          const data = rng.bytes(rng.range(0, 2 * KIB));
          text = `append ${any} ${data.length}B`;
          run = () => fs.writeFile(any, data, { append: true });
          apply = () => {
            const old = model.get(any) ?? new Uint8Array();
            const next = new Uint8Array(old.length + data.length);
            next.set(old);
            next.set(data, old.length);
            model.set(any, next);
          };
          break;
        }
        case "edit": {
          const old = model.get(any) ?? new Uint8Array();
          const at = rng.range(0, old.length + KIB);
          const data = rng.bytes(rng.range(1, 2 * KIB));
          text = `edit ${any} write@${at}+${data.length}`;
          run = async () => {
            const handle = await fs.open(any, { write: true, create: true });
            try {
              await handle.seek(at, Deno.SeekMode.Start);
              await handle.write(data);
            } catch (error) {
              await handle.abort();
              throw error;
            }
            await handle.close();
          };
          apply = () => {
            const next = new Uint8Array(Math.max(old.length, at + data.length));
            next.set(old);
            next.set(data, at);
            model.set(any, next);
          };
          break;
        }
        case "truncate": {
          const old = model.get(file!)!;
          const size = rng.range(0, old.length + KIB);
          text = `truncate ${file} ${size}`;
          run = () => fs.truncate(file!, size);
          apply = () => {
            const next = new Uint8Array(size);
            next.set(old.subarray(0, size));
            model.set(file!, next);
          };
          break;
        }
        case "copyFile": {
          text = `copyFile ${file} → ${any}`;
          run = () => fs.copyFile(file!, any);
          apply = () => model.set(any, model.get(file!)!);
          break;
        }
        case "rename": {
          text = `rename ${file} → ${any}`;
          run = () => fs.rename(file!, any);
          apply = () => {
            const data = model.get(file!)!;
            model.delete(file!);
            model.set(any, data);
          };
          break;
        }
        case "remove": {
          text = `remove ${file}`;
          run = () => fs.remove(file!);
          apply = () => model.delete(file!);
          break;
        }
        case "read": {
          const truth = model.get(file!)!;
          const method = rng.pick(READ_METHODS);
          const start = rng.range(0, truth.length);
          const end = rng.range(start, truth.length);
          text = `${method} ${file} [${start}, ${end})`;
          expectRead = truth.slice(start, end);
          run = () => readChecked(fs, file!, method, truth, { start, end });
          break;
        }
        case "stat": {
          text = `stat ${any}`;
          run = async () => {
            try {
              const info = await fs.stat(any);
              const want = model.get(any);
              if (!want || info.size !== want.length) {
                fail(`stat ${any}: size ${info.size}, model ${want?.length ?? "missing"}`);
              }
            } catch (error) {
              if (error instanceof Deno.errors.NotFound && model.has(any)) {
                fail(`stat ${any}: NotFound, but the model has it`);
              }
              throw error;
            }
          };
          break;
        }
        case "readDir": {
          const dir = rng.pick(DIRS);
          text = `readDir ${dir}`;
          run = async () => {
            const names: string[] = [];
            for await (const e of fs.readDir(dir)) names.push(e.name);
            const want = modelNames(model, dir);
            assertEquals(names.sort(), want, `readDir ${dir}`);
          };
          break;
        }
      }
      const before = new Map(model);
      random.enabled = true;
      let error: unknown;
      let result: unknown;
      try {
        result = await run!();
      } catch (e) {
        error = e;
      } finally {
        random.enabled = false;
      }
      if (error instanceof Violation) throw error;
      if ((error as { code?: string })?.code === "ERR_ASSERTION") fail(String(error));
      if (error === undefined) {
        succeeded++;
        apply();
        if (expectRead) assertEquals(result, expectRead, text);
        history.push(`#${step} ${text} ok`);
      } else {
        failed++;
        history.push(`#${step} ${text} failed: ${(error as Error)?.name}`);
        if (kind === "rename") {
          // Copy, then delete: each name is either as before or as after, never
          // neither (the source is only deleted once the copy is complete).
          const src = file!;
          const dataOf = before.get(src)!;
          const nowSrc = await observe(fs, src);
          const nowDst = await observe(fs, any);
          const ok = (same(nowSrc, dataOf) && same(nowDst, before.get(any))) ||
            (same(nowSrc, dataOf) && same(nowDst, dataOf)) ||
            (nowSrc === undefined && same(nowDst, dataOf));
          if (!ok) fail(`after failed ${text}: source/target in an impossible state`);
          if (nowSrc === undefined) model.delete(src);
          if (nowDst === undefined) model.delete(any);
          else model.set(any, nowDst);
        } else if (kind === "remove") {
          // One DeleteObject, then the parent's marker: removed or not, never changed.
          const now = await observe(fs, file!);
          if (now !== undefined && !same(now, before.get(file!))) fail(`${text}: changed`);
          if (now === undefined) model.delete(file!);
        }
      }
      // Faults off: every file the model knows reads back exactly; the others are absent.
      for (const path of POOL) {
        const want = model.get(path);
        const got = await observe(fs, path);
        if (!same(got, want)) {
          fail(
            `after #${step} ${text} (${error === undefined ? "ok" : "failed"}): ${path} is ` +
              `${got ? `${got.length}B` : "missing"}, model ${
                want ? `${want.length}B` : "missing"
              }` +
              `${got && want ? " (different bytes)" : ""}`,
          );
        }
      }
    }
    if (Deno.env.get("BACKUPFS_FAULTS_VERBOSE")) {
      console.log({ seed, backend, succeeded, failed, injected: random.injected });
    }
    assert(succeeded > RANDOM_STEPS / 4, `only ${succeeded} of ${RANDOM_STEPS} succeeded`);
    assert(failed > 0 && random.injected.thrown > 0, `no operation failed (${failed})`);
    assert(random.injected.corrupted > 0, "no chunk was corrupted");
  });
}

function modelNames(model: Model, dir: string): string[] {
  const names = new Set<string>();
  const parentOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";
  const nameOf = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  for (const p of [...DIRS, ...model.keys()]) {
    if (p !== "/" && parentOf(p) === dir) names.add(nameOf(p));
  }
  return [...names].sort();
}

for (const backend of BACKENDS) {
  for (const seed of RANDOM_SEEDS) {
    Deno.test(`faults: ${RANDOM_STEPS} operations with ~10% of storage calls failing match the model, seed ${seed} [${backend}]`, async () => {
      await randomRun(backend, seed);
    });
  }
}
