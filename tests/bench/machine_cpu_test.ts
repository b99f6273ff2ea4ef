import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { busyTicks, machineBusySeconds } from "../../bench/support/machine_cpu.ts";
import { readProcFiles } from "../../bench/support/proc_files.ts";

Deno.test("busyTicks counts user, nice, system, irq, softirq and steal of all cores", () => {
  const stat = [
    "cpu  4705 150 1120 16250 520 30 45 7 0 0",
    "cpu0 2350 75 560 8125 260 15 22 3 0 0",
    "intr 114930548 113199788 3 0 5 263 0 4",
  ].join("\n");
  assertEquals(busyTicks(stat), 4705 + 150 + 1120 + 30 + 45 + 7);
});

Deno.test("busyTicks refuses a text without a well-formed cpu line", () => {
  assertThrows(() => busyTicks("cpu0 1 2 3 4 5 6 7 8\n"), Error, "no cpu line");
  assertThrows(() => busyTicks("cpu  1 2 3\n"), Error, "not as expected");
  assertThrows(() => busyTicks("cpu  1 2 x 4 5 6 7 8\n"), Error, "not as expected");
});

Deno.test("machineBusySeconds grows while this process keeps a core busy", async () => {
  const before = await machineBusySeconds();
  if (Deno.build.os !== "linux") {
    assertEquals(before, undefined);
    return;
  }
  assert(before !== undefined && before > 0);
  const until = performance.now() + 300;
  let spins = 0;
  while (performance.now() < until) spins++; // bounded: 300 ms of CPU on purpose
  const after = await machineBusySeconds();
  assert(spins > 0);
  // At least 0.1 s of the 0.3 s (ticks are 10 ms; a shared machine may lend less).
  assert(after !== undefined && after - before >= 0.1, `busy ${after! - before} s`);
});

Deno.test("readProcFiles: the readable files' text, and whether every one was read", async () => {
  if (Deno.build.os !== "linux") return;
  const both = await readProcFiles(["/proc/stat", "/proc/self/status"]);
  assert(both.all);
  assert(both.text.startsWith("cpu "));
  assert(both.text.includes("\nName:\tcat\n"), "the second file's text follows the first");
  const oneGone = await readProcFiles(["/proc/no-such-file", "/proc/stat"]);
  assertEquals(oneGone.all, false);
  assert(oneGone.text.startsWith("cpu "), "a missing file is skipped, the rest still read");
});
