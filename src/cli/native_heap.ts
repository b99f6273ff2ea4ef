/**
 * Priming the native heap of a long-running server, so that the memory it frees
 * is kept for reuse instead of going back to the kernel and faulting in again.
 *
 * Deno's native side (socket reads, file writes)
 * allocates and frees megabytes per second through glibc's `malloc`. glibc
 * sizes two thresholds from what the process has freed so far: buffers from its
 * mmap threshold on get a mapping of their own (unmapped when freed), and free
 * space at the top of the heap beyond twice that is given back to the kernel.
 * While the biggest buffer freed so far is a 4 MiB chunk, both stay small, and
 * an upload keeps giving pages back and faulting fresh ones in, each fault
 * zeroing a page; on a virtual machine a fault costs several microseconds.
 * Freeing one buffer just under glibc's cap on that adjustment (32 MiB) once at
 * start raises both (to 31 and 62 MiB) for the life of the process.
 *
 * Measured on the 2-core machine of the benchmarks, one 1 GiB WebDAV PUT, one
 * worker, three alternating pairs: 41,000–68,000 page faults in the server
 * without it against 24,000 with it, and 269–280 against 308–355 MB/s (two
 * workers: 63,000–74,000 against 42,000–47,000 faults). The same as setting
 * `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=…:glibc.malloc.trim_threshold=…`
 * for the process, without having to start it through a wrapper.
 *
 * The price: up to 62 MiB of freed memory per allocator arena may stay with the
 * process rather than go back to the system. Other C libraries (musl) and other
 * systems ignore the hint; `BACKUPFS_PRIME_NATIVE_HEAP=0` skips it.
 *
 * @module
 */

/** Bytes of the one native buffer allocated and freed: under glibc's 32 MiB cap. */
export const NATIVE_HEAP_PRIME_BYTES = 31 * 1024 * 1024;

/** The environment variable that turns the priming off when set to `0`. */
export const NATIVE_HEAP_PRIME_ENV = "BACKUPFS_PRIME_NATIVE_HEAP";

/**
 * Allocates and frees one native buffer of {@link NATIVE_HEAP_PRIME_BYTES}
 * (Web Crypto copies what it hashes into memory of its own, and frees it once
 * done); resolves to whether it did (not when `BACKUPFS_PRIME_NATIVE_HEAP=0`).
 * Call it once, at the start of a server process, before its workers start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { primeNativeHeap } from "./native_heap.ts";
 * assert.equal(await primeNativeHeap(), true);
 * ```
 */
export async function primeNativeHeap(): Promise<boolean> {
  if (readEnv(NATIVE_HEAP_PRIME_ENV) === "0") return false;
  await crypto.subtle.digest("SHA-256", new Uint8Array(NATIVE_HEAP_PRIME_BYTES));
  return true;
}

/** An environment variable; `undefined` when unset or when the process may not read it. */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
