// Load and soak of `deno task serve` (webdav/main.ts, its own process, a temp data
// directory): CLIENTS concurrent clients for SECONDS mixing PUT (4 KiB–8 MiB),
// ranged GET, PROPFIND, LOCK/UNLOCK, MOVE and DELETE on overlapping paths, plus SLOW
// slow-but-alive clients (a request head or body a byte every 100 ms, a reply read
// 16 KiB every 100 ms), seeded. Prints requests/s, p50/p99 latency per method and
// peak RSS, then checks the invariants (see bench/support/load_engine.ts); exits 1
// when one fails.
//
//   deno run --allow-net=127.0.0.1 --allow-read --allow-write --allow-env --allow-run \
//     --allow-sys bench/webdav_load.ts [--clients 64] [--seconds 60] [--slow 100] [--seed 1]

import { parseArgs } from "node:util";
import { runLoad } from "./support/load_engine.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "64" },
    seconds: { type: "string", default: "60" },
    slow: { type: "string", default: "100" },
    seed: { type: "string", default: "1" },
  },
  strict: true,
});
function count(name: string, text: string | undefined, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}`);
    Deno.exit(2);
  }
  return n;
}
const report = await runLoad({
  clients: count("clients", values.clients, 1),
  seconds: count("seconds", values.seconds, 1),
  slow: count("slow", values.slow, 0),
  seed: count("seed", values.seed, 0),
  log: (line) => console.log(line),
});
const MIB = 1024 * 1024;
console.log(
  `${report.requests} requests in ${report.seconds.toFixed(1)} s: ${
    (report.requests / report.seconds).toFixed(0)
  } requests/s`,
);
console.log("method            count     p50 ms     p99 ms  statuses");
for (const [method, m] of Object.entries(report.methods)) {
  console.log(
    `${method.padEnd(16)} ${String(m.count).padStart(6)} ${m.p50.toFixed(1).padStart(10)} ${
      m.p99.toFixed(1).padStart(10)
    }  ${m.statuses}`,
  );
}
console.log(
  `RSS: start ${(report.startRssBytes / MIB).toFixed(0)} MiB, peak ${
    (report.peakRssBytes / MIB).toFixed(0)
  } MiB, after settle ${(report.endRssBytes / MIB).toFixed(0)} MiB`,
);
console.log(
  `slow requests: ${report.slow.answered} answered, ${report.slow.refused} refused (408/503), ${report.slow.closedEarly} closed before sent whole`,
);
if (report.violations.length > 0) {
  console.log(`${report.violations.length} invariant violations:`);
  for (const v of report.violations.slice(0, 50)) console.log(`  ${v}`);
  Deno.exit(1);
}
console.log("invariants: all held");
