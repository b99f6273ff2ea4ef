// The server primes glibc's heap at start (src/cli/native_heap.ts) so that the
// native memory an upload frees is kept for reuse. Shown on the pattern of an
// upload (Web Crypto's copies of its chunks, several alive at once): without the
// priming, every round gives the memory back and faults it in again.

import { fileURLToPath } from "node:url";
import { assert } from "../support/assert.ts";

const CHURN = fileURLToPath(new URL("./_heap_churn.ts", import.meta.url));

/** Page faults the churn reports, primed or not. */
async function churnFaults(prime: boolean): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env=BACKUPFS_PRIME_NATIVE_HEAP", CHURN],
    env: { BACKUPFS_PRIME_NATIVE_HEAP: prime ? "1" : "0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert(out.success && /^\d+$/.test(text), new TextDecoder().decode(out.stderr) || text);
  return Number(text);
}

Deno.test({
  name: "native heap: once primed, memory an upload frees is reused, not faulted in again",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const plain = await churnFaults(false);
    const primed = await churnFaults(true);
    // 10 rounds × 9 MiB: about 23,000 faults when the memory goes back each time.
    assert(plain > 5_000, `without priming the rounds fault pages in: ${plain}`);
    assert(primed < plain / 10, `primed ${primed} page faults against ${plain} without`);
  },
});
