// `--workers N` on both commands: its parsing, its --help lines, and a bad value
// refused with a clear message and exit code 2.

import { defaultWorkerCount } from "../../src/workers/worker_flags.ts";
import { parseServeCli, USAGE as SERVE_USAGE } from "../../webdav/serve/cli_options.ts";
import { parseStorageCli, USAGE as STORAGE_USAGE } from "../../src/server/cli_options.ts";
import { assertEquals, assertMatch, assertThrows } from "../support/assert.ts";
import {
  childEnv,
  runServe,
  STORAGE_MAIN,
  STORAGE_PERMISSIONS,
} from "../webdav/support/serve_process.ts";

const BAD = ["0", "-1", "1.5", "65", "two", "", "1e1"];

Deno.test("--workers default: one less than the CPU cores, at least 1, at most 64", () => {
  const cases: [number, number][] = [[0, 1], [1, 1], [2, 1], [3, 2], [8, 7], [65, 64], [256, 64]];
  for (const [cores, workers] of cases) {
    assertEquals(defaultWorkerCount(cores), workers, `${cores} cores`);
  }
  assertEquals(defaultWorkerCount(NaN), 1);
});

Deno.test("--workers: 1 to 64, default one less than the CPU cores, on both commands", () => {
  for (const parse of [parseServeCli, parseStorageCli]) {
    assertEquals(parse([]).workers, defaultWorkerCount(navigator.hardwareConcurrency));
    assertEquals(parse(["--workers", "1"]).workers, 1);
    assertEquals(parse(["--workers=64"]).workers, 64);
    for (const value of BAD) {
      assertThrows(
        () => parse([`--workers=${value}`]),
        TypeError,
        `--workers must be a whole number from 1 to 64 (got "${value}")`,
      );
    }
    assertThrows(() => parse(["--workers", "-1"]), TypeError); // parseArgs: a missing value
    // Each worker needs a connection of the total: fewer by default, refused when asked.
    assertEquals(parse(["--max-connections", "1"]).workers, 1);
    assertThrows(() => parse(["--max-connections", "1", "--workers", "2"]), TypeError);
  }
  // A remote store keeps its locks in one process: one worker, and no more.
  assertEquals(parseServeCli(["--endpoint", "http://127.0.0.1:9000"]).workers, 1);
  assertThrows(
    () => parseServeCli(["--endpoint", "http://127.0.0.1:9000", "--workers", "2"]),
    TypeError,
    "--workers above 1 needs the embedded store",
  );
});

Deno.test("--workers: in --help of both commands", () => {
  for (const usage of [SERVE_USAGE, STORAGE_USAGE]) {
    assertMatch(usage, /\n {2}--workers N {2,}Worker threads serving requests over one store/);
  }
});

Deno.test("--workers: a bad value exits 2 with its message (serve and storage)", async () => {
  const serve = await runServe(["--workers", "0"]);
  assertEquals(serve.code, 2);
  assertEquals(
    serve.stderr,
    `webdav: --workers must be a whole number from 1 to 64 (got "0") (try --help)\n`,
  );
  const storage = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...STORAGE_PERMISSIONS, STORAGE_MAIN, "--workers", "65"],
    env: childEnv({}),
    stdin: "null",
  }).output();
  assertEquals(storage.code, 2);
  assertEquals(
    new TextDecoder().decode(storage.stderr),
    `storage: --workers must be a whole number from 1 to 64 (got "65") (try --help)\n`,
  );
});
