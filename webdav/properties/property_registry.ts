/**
 * `LivePropertyRegistry`: the live properties a server reports, by name, in the
 * order `allprop` and `propname` list them. Each group of properties registers
 * its definitions: the resource's own (`resource_properties.ts`), the lock
 * plugin's (`../locks/lock_properties.ts`), the quota (`quota_properties.ts`),
 * Microsoft's Win32 ones (`win32_properties.ts`).
 *
 * @module
 */

import { elementXml } from "../xml/write.ts";
import type { LivePropertyDefinition, LivePropertyRenderer } from "./live_property.ts";

/** A registered property with its renderer, made once. */
interface Entry {
  definition: LivePropertyDefinition;
  render: LivePropertyRenderer;
}

/** The names `propname` and `allprop` list, per kind of resource; frozen, shared. */
interface NameLists {
  file: readonly string[];
  directory: readonly string[];
  allpropFile: readonly string[];
  allpropDirectory: readonly string[];
}

/**
 * Live properties by Clark name, in registration order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LivePropertyRegistry } from "./property_registry.ts";
 * const registry = new LivePropertyRegistry();
 * registry.register({ name: "{urn:x}kind", get: (r) => r.info.isFile ? "file" : "", allprop: true, protected: true });
 * const info = { isFile: true, isDirectory: false, isSymlink: false, size: 1, mtime: null, atime: null, birthtime: null, mode: null } as const;
 * const render = registry.renderer("{urn:x}kind")!;
 * assert.equal(render({ path: "/a", info }, { ctx: {} as never }), '<x:kind xmlns:x="urn:x">file</x:kind>');
 * assert.deepEqual(registry.names(false, { allprop: true }), ["{urn:x}kind"]);
 * assert.throws(() => registry.register({ name: "{urn:x}kind", get: () => "", allprop: false, protected: false }));
 * ```
 */
export class LivePropertyRegistry {
  #entries = new Map<string, Entry>();
  #names: NameLists | undefined;

  /** A registry holding `definitions`, in order. */
  constructor(definitions?: Iterable<LivePropertyDefinition>) {
    for (const definition of definitions ?? []) this.register(definition);
  }

  /** Adds a property after those registered so far; throws when its name is taken. */
  register(definition: LivePropertyDefinition): void {
    if (this.#entries.has(definition.name)) {
      throw new Error(`the live property ${definition.name} is registered twice`);
    }
    this.#entries.set(definition.name, { definition, render: rendererOf(definition) });
    this.#names = undefined;
  }

  /** Whether a Clark name is a registered live property. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** Whether PROPPATCH must refuse to change it (false for a name not registered). */
  isProtected(name: string): boolean {
    return this.#entries.get(name)?.definition.protected ?? false;
  }

  /** Whether a stored dead property of this name is reported instead of the live value. */
  deadOverrides(name: string): boolean {
    return this.#entries.get(name)?.definition.deadOverrides ?? false;
  }

  /**
   * The renderer of a property — its whole element for a resource, synchronous
   * unless the value must wait — looked up once (e.g. per request) instead of once
   * per resource; `undefined` when the name is not registered.
   */
  renderer(name: string): LivePropertyRenderer | undefined {
    return this.#entries.get(name)?.render;
  }

  /**
   * The names of the properties a file or a collection has (for `propname`; with
   * `allprop: true`, only those `allprop` reports). The array is frozen and shared.
   */
  names(isDirectory: boolean, options?: { allprop?: boolean }): readonly string[] {
    const lists = this.#names ??= this.#nameLists();
    if (options?.allprop) return isDirectory ? lists.allpropDirectory : lists.allpropFile;
    return isDirectory ? lists.directory : lists.file;
  }

  #nameLists(): NameLists {
    const namesFor = (isDirectory: boolean, allprop: boolean) => {
      const names: string[] = [];
      for (const [name, { definition }] of this.#entries) {
        if (allprop && !definition.allprop) continue;
        const appliesTo = definition.appliesTo;
        if (appliesTo === (isDirectory ? "file" : "collection")) continue;
        names.push(name);
      }
      return Object.freeze(names);
    };
    return {
      file: namesFor(false, false),
      directory: namesFor(true, false),
      allpropFile: namesFor(false, true),
      allpropDirectory: namesFor(true, true),
    };
  }
}

/** The element's tags, computed once per property. */
function tagsOf(name: string): { open: string; close: string; empty: string } {
  const empty = elementXml(name);
  const full = elementXml(name, "\u0000");
  const at = full.indexOf("\u0000");
  return { open: full.slice(0, at), close: full.slice(at + 1), empty };
}

function rendererOf(definition: LivePropertyDefinition): LivePropertyRenderer {
  const { open, close, empty } = tagsOf(definition.name);
  const wrap = (value: string) => value === "" ? empty : open + value + close;
  const get = definition.get;
  return (resource, env) => {
    const value = get(resource, env);
    if (typeof value === "string") return wrap(value);
    if (value === undefined) return undefined;
    return value.then((v) => v === undefined ? undefined : wrap(v));
  };
}
