// Run as a process by native_heap_test.ts: primes the heap as a server does
// (unless BACKUPFS_PRIME_NATIVE_HEAP=0), then does what an upload does to it:
// Web Crypto copies 4 MiB chunks, then several 3 MiB buffers live at once and are
// freed together, ten times. Prints the minor page faults of those ten rounds.

import process from "node:process";
import { primeNativeHeap } from "../../src/cli/native_heap.ts";

const MiB = 1024 * 1024;
await primeNativeHeap();
await crypto.subtle.digest("SHA-256", new Uint8Array(4 * MiB));
const inputs = [1, 2, 3].map((i) => new Uint8Array(3 * MiB).fill(i));
let faults = 0;
for (let round = 0; round < 12; round++) {
  const before = process.resourceUsage().minorPageFault;
  await Promise.all(inputs.map((input) => crypto.subtle.digest("SHA-256", input)));
  // The first rounds grow the heap to its working size either way.
  if (round >= 2) faults += process.resourceUsage().minorPageFault - before;
}
console.log(faults);
