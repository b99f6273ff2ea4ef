/**
 * The request mix of the WebDAV concurrency benchmark, the same for every server:
 * a fixed tree made before timing, and per client a seeded, replayable sequence of
 *
 * - 60 % GET of an existing file (one in ten of them a 1 MiB file, else a 64 KiB one);
 * - 20 % PUT of a 64 KiB file, half of them over an existing file of `/load/put/`,
 *   half a new file in `/load/new/` (every body distinct: a 16-character tag of its
 *   own, so a content-addressed store cannot skip it as a duplicate);
 * - 20 % PROPFIND Depth 1 of one of the folders of 64 KiB files.
 *
 * GETs read only files no PUT overwrites, so every GET's size is known in advance and
 * checked; PROPFINDs list folders no PUT changes, so each costs the same all run long.
 *
 * @module
 */

import { seededRandom } from "./bench_data.ts";

/**
 * The fixed tree the clients work on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LOAD_TREE } from "./dav_load_mix.ts";
 * assert.equal(DEFAULT_LOAD_TREE.folders * DEFAULT_LOAD_TREE.filesPerFolder, 200);
 * ```
 */
export interface LoadTree {
  /** Folders `/load/d<k>/` of 64 KiB files (GET and PROPFIND targets). */
  folders: number;
  /** 64 KiB files per folder. */
  filesPerFolder: number;
  /** Files `/load/big<k>.bin` of 1 MiB (GET targets). */
  bigFiles: number;
  /** Existing files `/load/put/p<k>.bin` of 64 KiB that PUTs overwrite. */
  putTargets: number;
}

/**
 * The default tree: 200 files of 64 KiB in 4 folders, 4 files of 1 MiB, 50 files to
 * overwrite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LOAD_TREE } from "./dav_load_mix.ts";
 * assert.equal(DEFAULT_LOAD_TREE.bigFiles, 4);
 * ```
 */
export const DEFAULT_LOAD_TREE: Readonly<LoadTree> = Object.freeze({
  folders: 4,
  filesPerFolder: 50,
  bigFiles: 4,
  putTargets: 50,
});

/** Bytes of a small file of the mix (every PUT body, the folders' files). */
export const SMALL_BYTES = 64 * 1024;
/** Bytes of a large file of the mix. */
export const BIG_BYTES = 1024 * 1024;
/** Characters of the tag that makes each PUT body distinct. */
export const TAG_CHARS = 16;

/**
 * One request of the mix: its method, path (under the server's root) and, for a GET,
 * the size the answer must have; for a PUT, the tag that makes its body distinct.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LoadRequest } from "./dav_load_mix.ts";
 * const request: LoadRequest = { method: "GET", path: "/load/d0/f000.bin", bytes: 65536 };
 * assert.equal(request.method, "GET");
 * ```
 */
export type LoadRequest =
  | { method: "GET"; path: string; bytes: number }
  | { method: "PUT"; path: string; tag: string }
  | { method: "PROPFIND"; path: string };

/**
 * The folders (parents first) and files of `tree`, each file with its size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LOAD_TREE, treeLayout } from "./dav_load_mix.ts";
 * const layout = treeLayout(DEFAULT_LOAD_TREE);
 * assert.equal(layout.folders[0], "/load/");
 * assert.equal(layout.files.length, 200 + 4 + 50);
 * assert.equal(layout.files.filter((f) => f.bytes === 1024 * 1024).length, 4);
 * ```
 */
export function treeLayout(
  tree: LoadTree,
): { folders: string[]; files: Array<{ path: string; bytes: number }> } {
  const folders = ["/load/", "/load/put/", "/load/new/"];
  const files: Array<{ path: string; bytes: number }> = [];
  for (let d = 0; d < tree.folders; d++) {
    folders.push(`/load/d${d}/`);
    for (let f = 0; f < tree.filesPerFolder; f++) {
      files.push({ path: smallPath(d, f), bytes: SMALL_BYTES });
    }
  }
  for (let b = 0; b < tree.bigFiles; b++) files.push({ path: bigPath(b), bytes: BIG_BYTES });
  for (let p = 0; p < tree.putTargets; p++) files.push({ path: putPath(p), bytes: SMALL_BYTES });
  return { folders, files };
}

const pad = (n: number) => String(n).padStart(3, "0");
const smallPath = (folder: number, file: number) => `/load/d${folder}/f${pad(file)}.bin`;
const bigPath = (index: number) => `/load/big${index}.bin`;
const putPath = (index: number) => `/load/put/p${pad(index)}.bin`;

/**
 * Options of {@link loadMix}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LOAD_TREE, type LoadMixOptions } from "./dav_load_mix.ts";
 * const options: LoadMixOptions = { seed: 1, phase: 0, tree: DEFAULT_LOAD_TREE };
 * assert.equal(options.phase, 0);
 * ```
 */
export interface LoadMixOptions {
  /** Seed of the sequence (with the client's index and the phase). */
  seed: number;
  /** Which load phase of the server (tags and new paths differ between phases). */
  phase: number;
  /** The tree the requests address. */
  tree: LoadTree;
}

/**
 * The request sequence of client `client`: each call gives the next request. The same
 * client, seed, phase and tree give the same sequence; every PUT's tag (and every new
 * file's name) is unique across clients and phases.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_LOAD_TREE, loadMix } from "./dav_load_mix.ts";
 * const options = { seed: 1, phase: 0, tree: DEFAULT_LOAD_TREE };
 * const a = loadMix(3, options), b = loadMix(3, options);
 * const requests = Array.from({ length: 10_000 }, () => a());
 * assert.deepEqual(requests.slice(0, 50), Array.from({ length: 50 }, () => b()));
 * const share = (method: string) =>
 *   requests.filter((r) => r.method === method).length / requests.length;
 * assert.ok(Math.abs(share("GET") - 0.6) < 0.03);
 * assert.ok(Math.abs(share("PUT") - 0.2) < 0.03);
 * assert.ok(Math.abs(share("PROPFIND") - 0.2) < 0.03);
 * const tags = requests.flatMap((r) => r.method === "PUT" ? [r.tag] : []);
 * assert.equal(new Set(tags).size, tags.length);
 * assert.ok(tags.every((tag) => tag.length === 16));
 * const other = loadMix(4, options);
 * const otherTags = Array.from({ length: 1000 }, () => other())
 *   .flatMap((r) => r.method === "PUT" ? [r.tag] : []);
 * assert.ok(otherTags.every((tag) => !tags.includes(tag)));
 * ```
 */
export function loadMix(client: number, options: LoadMixOptions): () => LoadRequest {
  const { tree, phase } = options;
  const rand = seededRandom(((options.seed * 1_000_003) ^ (phase * 7919) ^ client) >>> 0);
  const below = (n: number) => Math.floor(rand() * n);
  let puts = 0;
  return () => {
    const roll = rand();
    if (roll < 0.6) {
      if (tree.bigFiles > 0 && rand() < 0.1) {
        return { method: "GET", path: bigPath(below(tree.bigFiles)), bytes: BIG_BYTES };
      }
      return {
        method: "GET",
        path: smallPath(below(tree.folders), below(tree.filesPerFolder)),
        bytes: SMALL_BYTES,
      };
    }
    if (roll < 0.8) {
      const n = puts++;
      const tag = `p${phase}c${client}n${n}`.padEnd(TAG_CHARS, "-").slice(0, TAG_CHARS);
      const path = rand() < 0.5 && tree.putTargets > 0
        ? putPath(below(tree.putTargets))
        : `/load/new/p${phase}c${client}n${n}.bin`;
      return { method: "PUT", path, tag };
    }
    return { method: "PROPFIND", path: `/load/d${below(tree.folders)}/` };
  };
}
