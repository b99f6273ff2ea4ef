/**
 * Dead properties (RFC 4918 §4): stored per resource as BackupFS extended
 * attributes, `{namespace}name` → the property element's self-contained XML. They
 * travel with MOVE and COPY (BackupFS carries the metadata blob) and survive a
 * restart.
 *
 * @module
 */

import type { BackupFS } from "../../src/fs/mod.ts";

/**
 * The dead properties of a path: Clark name → element XML.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { readDeadProperties } from "./dead_properties.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/a", "x");
 * assert.deepEqual(await readDeadProperties(fs, "/a"), {});
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readDeadProperties(
  fs: BackupFS,
  path: string,
): Promise<Record<string, string>> {
  const attributes = await fs.getExtendedAttributes(path);
  return { ...(attributes.properties ?? {}) };
}

/** One change of a dead property: a new element XML, or `undefined` to remove it. */
export interface DeadPropertyChange {
  /** Clark name. */
  name: string;
  /** The element's XML, or `undefined` to remove the property. */
  value: string | undefined;
}

/**
 * Applies changes to dead properties of a path, in order, in one new version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackupFS } from "../../src/fs/mod.ts";
 * import { EmbeddedStore } from "../../src/storage/store/mod.ts";
 * import { readDeadProperties, updateDeadProperties } from "./dead_properties.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await EmbeddedStore.open(dir, { gcIntervalMs: 0, durable: false });
 * const fs = new BackupFS(store, { jobId: "j" });
 * await fs.writeTextFile("/a", "x");
 * await updateDeadProperties(fs, "/a", [{ name: "{urn:x}c", value: '<c xmlns="urn:x">1</c>' }]);
 * assert.deepEqual(await readDeadProperties(fs, "/a"), { "{urn:x}c": '<c xmlns="urn:x">1</c>' });
 * await updateDeadProperties(fs, "/a", [{ name: "{urn:x}c", value: undefined }]); // removed
 * assert.deepEqual(await readDeadProperties(fs, "/a"), {});
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function updateDeadProperties(
  fs: BackupFS,
  path: string,
  changes: readonly DeadPropertyChange[],
): Promise<void> {
  await fs.setExtendedAttributes(path, (current) => {
    const properties = { ...(current.properties ?? {}) };
    for (const change of changes) {
      if (change.value === undefined) delete properties[change.name];
      else properties[change.name] = change.value;
    }
    return { ...current, properties };
  });
}
