/**
 * A `BackupStorage` that counts its calls and their failures by operation in
 * this thread's metric block, around any storage (the embedded store, the
 * client of a remote service). Everything else — properties, the embedded
 * store's in-process capabilities — passes through unchanged.
 *
 * @module
 */

import type { BackupStorage } from "../storage/backup_storage.ts";
import { OPERATION_NAMES, SLOT, STORAGE_OPERATIONS } from "./metric_layout.ts";
import { metricValues } from "./metric_values.ts";

type Method = (...args: unknown[]) => unknown;

/** The counting version of `method` (operation slot `index`), bound to `target`. */
function counted(target: object, method: Method, index: number): Method {
  const failed = (error: unknown) => {
    metricValues.block[SLOT.storageErrors + index]++;
    throw error;
  };
  return (...args: unknown[]) => {
    metricValues.block[SLOT.storageCalls + index]++;
    let result: unknown;
    try {
      result = method.apply(target, args);
    } catch (error) {
      return failed(error);
    }
    return result instanceof Promise ? result.catch(failed) : result;
  };
}

/**
 * `storage`, its operations counted (`backupfs_storage_calls_total` and
 * `backupfs_storage_errors_total` by operation). A call counts once, whatever
 * retries the storage makes inside it; a failure is a rejected (or thrown) call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countingStorage } from "./storage_metrics.ts";
 * import { metricValues } from "./metric_values.ts";
 * import { OPERATION_NAMES, SLOT } from "./metric_layout.ts";
 * import type { BackupStorage } from "../storage/backup_storage.ts";
 * const inner = {
 *   listObjects: () => Promise.resolve({ ObjectList: [] }),
 *   deleteObject: () => Promise.reject(new Error("no")),
 * } as unknown as BackupStorage;
 * const storage = countingStorage(inner);
 * const list = SLOT.storageCalls + OPERATION_NAMES.indexOf("ListObjects");
 * const errors = SLOT.storageErrors + OPERATION_NAMES.indexOf("DeleteObject");
 * const [listBefore, errorsBefore] = [metricValues.block[list], metricValues.block[errors]];
 * await storage.listObjects({ StorageJobId: "j" });
 * await assert.rejects(storage.deleteObject({ BackupJobId: "j", ObjectName: "o" }));
 * assert.equal(metricValues.block[list], listBefore + 1);
 * assert.equal(metricValues.block[errors], errorsBefore + 1);
 * ```
 */
export function countingStorage<T extends BackupStorage>(storage: T): T {
  const wrapped = new Map<PropertyKey, Method>();
  return new Proxy(storage, {
    get(target, key) {
      const known = wrapped.get(key);
      if (known !== undefined) return known;
      // The target itself is the receiver: its getters and methods may use private fields.
      const value = Reflect.get(target, key);
      if (typeof value !== "function") return value;
      const operation = typeof key === "string" && Object.hasOwn(STORAGE_OPERATIONS, key)
        ? STORAGE_OPERATIONS[key]
        : undefined;
      const method = operation === undefined
        ? (value as Method).bind(target)
        : counted(target, value as Method, OPERATION_NAMES.indexOf(operation));
      wrapped.set(key, method);
      return method;
    },
  });
}
