// The two sides of the model-based BackupFS test: one interface of file
// operations, implemented over a real temp directory through `Deno.*` (the
// model) and over a BackupFS. Each operation resolves to a comparable value or
// rejects; `errorKind` turns a rejection into the name both sides must agree on.

import type { BackupFS } from "../../../src/fs/backup_fs.ts";

/** One action on an open handle. */
export type HandleAction =
  | { type: "write"; at: number; data: Uint8Array }
  | { type: "truncate"; size: number }
  | { type: "read"; at: number; length: number };

/** Flags of an open for editing (reading is always on). */
export interface EditFlags {
  write: boolean;
  append?: boolean;
  create?: boolean;
  createNew?: boolean;
  truncate?: boolean;
}

/** What a snapshot records of one path: `d` for a directory, `f:<size>` for a file. */
export type Tree = Map<string, string>;

/** The operations the model test applies to both sides. */
export interface Target {
  writeFile(
    path: string,
    data: Uint8Array,
    options: { append?: boolean; create?: boolean; createNew?: boolean },
  ): Promise<void>;
  truncate(path: string, size: number): Promise<void>;
  /** open + seek + read (loop) of up to `length` bytes. */
  readRange(path: string, start: number, length: number): Promise<Uint8Array>;
  /** Bytes in [start, end) by a stream (the model reads the same range by hand). */
  readStream(path: string, start: number, end: number): Promise<Uint8Array>;
  /** open, apply the actions, close; resolves what the reads returned. */
  edit(path: string, flags: EditFlags, actions: HandleAction[]): Promise<Uint8Array[]>;
  rename(from: string, to: string): Promise<void>;
  copyFile(from: string, to: string): Promise<void>;
  copy(from: string, to: string, recursive: boolean): Promise<void>;
  remove(path: string, recursive: boolean): Promise<void>;
  mkdir(path: string, recursive: boolean): Promise<void>;
  /** Entry names, `name/` for directories, sorted. */
  readDir(path: string): Promise<string[]>;
  /** `d` or `f:<size>`. */
  stat(path: string): Promise<string>;
  /** Every path below the root with its kind and (stat) size. */
  snapshot(): Promise<Tree>;
  readFile(path: string): Promise<Uint8Array>;
}

/**
 * The kind of error both sides must agree on: the `Deno.errors` class name, or
 * `NotEmpty` (code ENOTEMPTY), `InvalidInput` (a TypeError: Deno's EINVAL and
 * BackupFS's argument errors). Anything else is `Other(...)`, which never matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorKind } from "./model_targets.ts";
 * assert.equal(errorKind(new Deno.errors.NotFound("x")), "NotFound");
 * assert.equal(errorKind(new TypeError("x")), "InvalidInput");
 * ```
 */
export function errorKind(error: unknown): string {
  const named = [
    Deno.errors.NotFound,
    Deno.errors.AlreadyExists,
    Deno.errors.IsADirectory,
    Deno.errors.NotADirectory,
    Deno.errors.InvalidData,
    Deno.errors.PermissionDenied,
    Deno.errors.BadResource,
  ];
  if ((error as { code?: string })?.code === "ENOTEMPTY") return "NotEmpty";
  for (const type of named) if (error instanceof type) return type.name;
  if (error instanceof TypeError) return "InvalidInput";
  const e = error as Error;
  return `Other(${e?.name}: ${e?.message})`;
}

/**
 * The parent of a normalized absolute path (`/` for top-level names).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parentPath } from "./model_targets.ts";
 * assert.equal(parentPath("/a/b"), "/a");
 * assert.equal(parentPath("/a"), "/");
 * ```
 */
export function parentPath(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

async function readUpTo(
  read: (buffer: Uint8Array) => Promise<number | null>,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  // Bounded: each round either fills bytes or stops.
  while (filled < length) {
    const n = await read(out.subarray(filled));
    if (n === null || n === 0) break;
    filled += n;
  }
  return out.slice(0, filled);
}

async function writeAll(file: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  for (let done = 0; done < data.byteLength;) {
    const n = await file.write(data.subarray(done));
    if (n <= 0) throw new Error("write made no progress");
    done += n;
  }
}

/**
 * The model: a real directory, changed through `Deno.*`. `copy` has no Deno
 * counterpart, so it is spelled out here with the semantics BackupFS documents
 * (a file like `copyFile`; a tree only into a path that does not exist yet).
 *
 * @example
 * ```ts ignore
 * const model = new DenoTarget(await Deno.makeTempDir());
 * await model.mkdir("/a", false);
 * ```
 */
export class DenoTarget implements Target {
  constructor(readonly root: string) {}

  #real(path: string): string {
    return path === "/" ? this.root : this.root + path;
  }

  writeFile(
    path: string,
    data: Uint8Array,
    options: { append?: boolean; create?: boolean; createNew?: boolean },
  ): Promise<void> {
    return Deno.writeFile(this.#real(path), data, options);
  }

  truncate(path: string, size: number): Promise<void> {
    return Deno.truncate(this.#real(path), size);
  }

  async readRange(path: string, start: number, length: number): Promise<Uint8Array> {
    using file = await Deno.open(this.#real(path), { read: true });
    await file.seek(start, Deno.SeekMode.Start);
    return await readUpTo((b) => file.read(b), length);
  }

  async readStream(path: string, start: number, end: number): Promise<Uint8Array> {
    return await this.readRange(path, start, Math.max(0, end - start));
  }

  async edit(path: string, flags: EditFlags, actions: HandleAction[]): Promise<Uint8Array[]> {
    using file = await Deno.open(this.#real(path), { read: true, ...flags });
    const reads: Uint8Array[] = [];
    for (const action of actions) {
      if (action.type === "write") {
        await file.seek(action.at, Deno.SeekMode.Start);
        await writeAll(file, action.data);
      } else if (action.type === "truncate") {
        await file.truncate(action.size);
      } else {
        await file.seek(action.at, Deno.SeekMode.Start);
        reads.push(await readUpTo((b) => file.read(b), action.length));
      }
    }
    return reads;
  }

  rename(from: string, to: string): Promise<void> {
    return Deno.rename(this.#real(from), this.#real(to));
  }

  copyFile(from: string, to: string): Promise<void> {
    return Deno.copyFile(this.#real(from), this.#real(to));
  }

  async copy(from: string, to: string, recursive: boolean): Promise<void> {
    const source = await Deno.stat(this.#real(from));
    if (source.isDirectory && !recursive) throw new Deno.errors.IsADirectory(from);
    if (from === to) return;
    if (to === "/") throw new Deno.errors.IsADirectory(to);
    if (source.isDirectory && to.startsWith(from === "/" ? "/" : `${from}/`)) {
      throw new TypeError(`copy ${from} into itself`);
    }
    if (from.startsWith(`${to}/`)) throw new TypeError(`copy ${from} onto its ancestor ${to}`);
    // Nothing there (NotADirectory: its parent is a file, reported just below).
    const target = await Deno.stat(this.#real(to)).catch((e) => {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
        return undefined;
      }
      throw e;
    });
    if (!target) {
      const parent = await Deno.stat(this.#real(parentPath(to)));
      if (!parent.isDirectory) throw new Deno.errors.NotADirectory(parentPath(to));
    }
    if (source.isFile) {
      if (target?.isDirectory) throw new Deno.errors.IsADirectory(to);
      await Deno.copyFile(this.#real(from), this.#real(to));
      return;
    }
    if (target?.isFile) throw new Deno.errors.NotADirectory(to);
    if (target?.isDirectory) throw new Deno.errors.AlreadyExists(to);
    await this.#copyTree(this.#real(from), this.#real(to));
  }

  async #copyTree(from: string, to: string): Promise<void> {
    await Deno.mkdir(to);
    for await (const entry of Deno.readDir(from)) {
      if (entry.isDirectory) await this.#copyTree(`${from}/${entry.name}`, `${to}/${entry.name}`);
      else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
    }
  }

  remove(path: string, recursive: boolean): Promise<void> {
    return Deno.remove(this.#real(path), { recursive });
  }

  mkdir(path: string, recursive: boolean): Promise<void> {
    return Deno.mkdir(this.#real(path), { recursive });
  }

  async readDir(path: string): Promise<string[]> {
    const out: string[] = [];
    for await (const e of Deno.readDir(this.#real(path))) {
      out.push(e.isDirectory ? `${e.name}/` : e.name);
    }
    return out.sort();
  }

  async stat(path: string): Promise<string> {
    const info = await Deno.stat(this.#real(path));
    return info.isDirectory ? "d" : `f:${info.size}`;
  }

  async snapshot(): Promise<Tree> {
    const tree: Tree = new Map();
    const pending = ["/"];
    for (let guard = 0; pending.length > 0 && guard < 100_000; guard++) {
      const dir = pending.pop()!;
      for await (const e of Deno.readDir(this.#real(dir))) {
        const p = dir === "/" ? `/${e.name}` : `${dir}/${e.name}`;
        if (e.isDirectory) {
          tree.set(p, "d");
          pending.push(p);
        } else {
          tree.set(p, `f:${(await Deno.stat(this.#real(p))).size}`);
        }
      }
    }
    return tree;
  }

  readFile(path: string): Promise<Uint8Array> {
    return Deno.readFile(this.#real(path));
  }
}

/**
 * The side under test: the same operations through a BackupFS.
 *
 * @example
 * ```ts ignore
 * const side = new BackupTarget(fs);
 * await side.mkdir("/a", false);
 * ```
 */
export class BackupTarget implements Target {
  constructor(readonly fs: BackupFS) {}

  async writeFile(
    path: string,
    data: Uint8Array,
    options: { append?: boolean; create?: boolean; createNew?: boolean },
  ): Promise<void> {
    await this.fs.writeFile(path, data, options);
  }

  truncate(path: string, size: number): Promise<void> {
    return this.fs.truncate(path, size);
  }

  async readRange(path: string, start: number, length: number): Promise<Uint8Array> {
    const file = await this.fs.open(path, { read: true });
    try {
      await file.seek(start, Deno.SeekMode.Start);
      return await readUpTo((b) => file.read(b), length);
    } finally {
      await file.close();
    }
  }

  async readStream(path: string, start: number, end: number): Promise<Uint8Array> {
    const stream = await this.fs.readStream(path, { start, end });
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  async edit(path: string, flags: EditFlags, actions: HandleAction[]): Promise<Uint8Array[]> {
    const file = await this.fs.open(path, { read: true, ...flags });
    const reads: Uint8Array[] = [];
    try {
      for (const action of actions) {
        if (action.type === "write") {
          await file.seek(action.at, Deno.SeekMode.Start);
          await writeAll(file, action.data);
        } else if (action.type === "truncate") {
          await file.truncate(action.size);
        } else {
          await file.seek(action.at, Deno.SeekMode.Start);
          reads.push(await readUpTo((b) => file.read(b), action.length));
        }
      }
    } catch (error) {
      await file.abort();
      throw error;
    }
    await file.close();
    return reads;
  }

  rename(from: string, to: string): Promise<void> {
    return this.fs.rename(from, to);
  }

  copyFile(from: string, to: string): Promise<void> {
    return this.fs.copyFile(from, to);
  }

  copy(from: string, to: string, recursive: boolean): Promise<void> {
    return this.fs.copy(from, to, { recursive });
  }

  remove(path: string, recursive: boolean): Promise<void> {
    return this.fs.remove(path, { recursive });
  }

  mkdir(path: string, recursive: boolean): Promise<void> {
    return this.fs.mkdir(path, { recursive });
  }

  async readDir(path: string): Promise<string[]> {
    const out: string[] = [];
    for await (const e of this.fs.readDir(path)) {
      if (e.isFile === e.isDirectory) throw new Error(`${path}/${e.name}: neither file nor dir`);
      out.push(e.isDirectory ? `${e.name}/` : e.name);
    }
    return out.sort();
  }

  async stat(path: string): Promise<string> {
    const info = await this.fs.stat(path);
    if (info.isFile === info.isDirectory) throw new Error(`${path}: neither file nor directory`);
    return info.isDirectory ? "d" : `f:${info.size}`;
  }

  async snapshot(): Promise<Tree> {
    const tree: Tree = new Map();
    const pending = ["/"];
    for (let guard = 0; pending.length > 0 && guard < 100_000; guard++) {
      const dir = pending.pop()!;
      for await (const e of this.fs.readDir(dir)) {
        const p = dir === "/" ? `/${e.name}` : `${dir}/${e.name}`;
        if (e.isDirectory) {
          tree.set(p, "d");
          pending.push(p);
        } else {
          // stat goes through the metadata cache: it must agree with the listing.
          tree.set(p, await this.stat(p));
        }
      }
    }
    return tree;
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.fs.readFile(path);
  }
}
