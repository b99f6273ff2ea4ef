/**
 * Lock records read back from text someone else wrote (a lock file, a shared
 * document): what is a lock record, and the records of an old lock file.
 *
 * @module
 */

import type { LockRecord } from "../lock_record.ts";

/** The lock record `raw` holds, or undefined when it is not one. */
export function lockRecordFrom(raw: unknown): LockRecord | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (
    typeof r.token !== "string" || typeof r.root !== "string" || !r.root.startsWith("/") ||
    (r.scope !== "exclusive" && r.scope !== "shared") ||
    (r.depth !== 0 && r.depth !== "infinity") ||
    typeof r.timeoutSeconds !== "number" || typeof r.expiresAt !== "number"
  ) {
    return undefined;
  }
  const lock: LockRecord = {
    token: r.token,
    root: r.root,
    scope: r.scope,
    depth: r.depth,
    timeoutSeconds: r.timeoutSeconds,
    expiresAt: r.expiresAt,
    collection: r.collection === true,
  };
  if (typeof r.ownerXml === "string") lock.ownerXml = r.ownerXml;
  if (typeof r.principal === "string") lock.principal = r.principal;
  return lock;
}

/**
 * The lock records of a lock file (`{"version":1,"locks":[…]}`, what
 * `FileLockStore` writes); none when it is missing or unreadable, and entries
 * that are not lock records are skipped.
 */
export function readLockFile(path: string): LockRecord[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  let data: { version?: unknown; locks?: unknown };
  try {
    data = JSON.parse(text);
  } catch {
    return []; // an unreadable lock file is treated as no locks
  }
  if (data?.version !== 1 || !Array.isArray(data.locks)) return [];
  const records: LockRecord[] = [];
  for (const raw of data.locks) {
    const record = lockRecordFrom(raw);
    if (record) records.push(record);
  }
  return records;
}
