// The command-line messages of `serve` and `storage`: a port out of range says so,
// serve's examples use its own port, the size suffixes --help lists are exactly the
// ones accepted, and every message reads `webdav: …` / `storage: …`, lower-case,
// without a trailing period.

import { parseListenAddress } from "../../src/cli/listen_address.ts";
import { parseByteSize, SIZE_SUFFIXES } from "../../webdav/serve/byte_size.ts";
import { USAGE } from "../../webdav/serve/cli_options.ts";
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { runServe, STORAGE_MAIN, STORAGE_PERMISSIONS } from "./support/serve_process.ts";

async function runStorage(args: string[]): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...STORAGE_PERMISSIONS,
      STORAGE_MAIN,
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

/** Every line is `PREFIX: x…` with a lower-case start and no trailing period. */
function assertStyle(stderr: string, prefix: string): void {
  const lines = stderr.trimEnd().split("\n");
  assert(lines.length > 0 && lines[0] !== "", "no message");
  for (const line of lines) {
    assert(line.startsWith(`${prefix}: `), `no "${prefix}: " prefix: ${line}`);
    const rest = line.slice(prefix.length + 2);
    assert(!/^[A-Z][a-z]/.test(rest), `capitalised: ${line}`);
    assert(!rest.endsWith("."), `trailing period: ${line}`);
  }
}

Deno.test("parseListenAddress: a port above 65535 is reported out of range", () => {
  assertThrows(
    () => parseListenAddress("127.0.0.1:99999"),
    TypeError,
    "port 99999 is out of range (0–65535)",
  );
  assertThrows(() => parseListenAddress("[::1]:65536"), TypeError, "out of range (0–65535)");
  assertEquals(parseListenAddress("127.0.0.1:65535").port, 65535);
  assertThrows(() => parseListenAddress("nonsense"), TypeError, "expected HOST:PORT");
});

Deno.test("serve --listen 127.0.0.1:99999: out of range, in serve's style", async () => {
  const { code, stderr } = await runServe(["--listen", "127.0.0.1:99999"]);
  assertEquals(code, 2);
  assert(stderr.includes("out of range (0–65535)"), stderr);
  assertStyle(stderr, "webdav");
});

Deno.test("serve: a malformed --listen gives serve's own port (8080) as the example", async () => {
  const { code, stderr } = await runServe(["--listen", "nonsense"]);
  assertEquals(code, 2);
  assert(stderr.includes("127.0.0.1:8080"), stderr);
  assert(!stderr.includes("9000"), stderr);
  assert(!USAGE.includes("9000"), "serve --help mentions 9000");
});

Deno.test("storage --listen 127.0.0.1:99999: out of range, in storage's style", async () => {
  const { code, stderr } = await runStorage(["--listen", "127.0.0.1:99999"]);
  assertEquals(code, 2);
  assert(stderr.includes("out of range (0–65535)"), stderr);
  assertStyle(stderr, "storage");
});

Deno.test("size suffixes: --help lists exactly what parseByteSize accepts", () => {
  const line = USAGE.split("\n").find((l) => l.includes("SIZE is bytes"));
  assert(line !== undefined, "no SIZE line in --help");
  for (const suffix of SIZE_SUFFIXES) {
    assert(line.includes(suffix), `--help does not list ${suffix}`);
    assert(parseByteSize(`2${suffix}`) >= 2, suffix);
    assert(parseByteSize(`2${suffix.toLowerCase()}`) >= 2, suffix);
  }
  // What --help lists, as words, is exactly SIZE_SUFFIXES.
  const listed = line.slice(line.indexOf("suffix")).match(/\b[KMGT]i?B?\b|\bB\b/g) ?? [];
  assertEquals([...new Set(listed)].sort(), [...SIZE_SUFFIXES].sort());
  for (const bad of ["2KB", "2X", "2 PiB", "1.5"]) {
    assertThrows(() => parseByteSize(bad), TypeError, SIZE_SUFFIXES.join(", "));
  }
});

Deno.test("messages share one style: serve and storage on bad flags and bad sizes", async () => {
  for (const args of [["--bogus"], ["--cache-size", "3X"], ["--job", ""], ["--listen", "x"]]) {
    const { code, stderr } = await runServe(args);
    assertEquals(code, 2, stderr);
    assertStyle(stderr, "webdav");
  }
  for (const args of [["--bogus"], ["--region", "Bad Region"], ["--data", ""]]) {
    const { code, stderr } = await runStorage(args);
    assertEquals(code, 2, stderr);
    assertStyle(stderr, "storage");
  }
});
