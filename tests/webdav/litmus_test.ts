// litmus 0.13 (Debian package `litmus`) against the WebDAV app over an in-process
// store: suites basic, copymove, props, http and locks must pass with 0 failures
// and 0 warnings. Without litmus the test fails (never skips).

import { assert, assertEquals } from "../support/assert.ts";
import { startDav } from "./support/dav_server.ts";

const SUITES = ["basic", "copymove", "props", "http", "locks"];

async function findLitmus(): Promise<string> {
  for (const candidate of ["/usr/bin/litmus", "/usr/local/bin/litmus"]) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // try the next
    }
  }
  const hint = Deno.env.get("CI") === "true"
    ? "litmus is missing on CI: .ci/run must `apt-get install litmus`"
    : "litmus is not installed: apt-get install litmus";
  throw new Error(hint);
}

Deno.test("litmus: basic, copymove, props, http and locks pass with 0 failures and 0 warnings", async () => {
  const litmus = await findLitmus();
  const dav = await startDav(
    { quota: () => Promise.resolve({ usedBytes: 0, availableBytes: 1024 ** 3 }) },
    { chunkSize: 64 * 1024 },
  );
  const work = await Deno.makeTempDir({ prefix: "backupfs-litmus-" });
  try {
    const output = await new Deno.Command(litmus, {
      args: [dav.base],
      cwd: work, // litmus writes debug.log and child.log here
      env: { TESTS: SUITES.join(" ") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    const summaries = [
      ...text.matchAll(/summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed/g),
    ];
    const report = summaries.map((m) => m[0]).join("\n");
    assertEquals(
      summaries.map((m) => m[1]),
      SUITES,
      `every suite ran:\n${text.slice(-4000)}`,
    );
    for (const match of summaries) {
      assertEquals(match[4], "0", `${match[1]} has failures:\n${text.slice(-4000)}`);
      assertEquals(match[2], match[3], `${match[1]}: not all run tests passed`);
    }
    const total = summaries.reduce((sum, m) => sum + Number(m[3]), 0);
    assertEquals(total, 104, report);
    assert(!/warning/i.test(text), `litmus issued warnings:\n${text.slice(-4000)}`);
    assertEquals(output.code, 0, report);
  } finally {
    await Deno.remove(work, { recursive: true });
    await dav.close();
  }
});
