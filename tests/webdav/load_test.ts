// The load and soak benchmark's short form (bench/support/load_engine.ts): webdav/main.ts
// as its own process, 8 clients for 12 s mixing PUT, ranged GET, PROPFIND, LOCK/UNLOCK,
// MOVE and DELETE on overlapping paths, 10 slow-but-alive clients; asserts the
// invariants (contents as the acknowledged writes allow, no lock or temporary file
// left, RSS back near its start, every accepted request answered), never the speed.

import { runLoad } from "../../bench/support/load_engine.ts";
import { assertEquals } from "../support/assert.ts";

Deno.test("load: 8 clients, 12 s, 10 slow clients keep every invariant", async () => {
  const report = await runLoad({ clients: 8, seconds: 12, slow: 10, seed: 1, maxBodyBytes: MIB });
  assertEquals(report.violations, []);
});

const MIB = 1024 * 1024;
