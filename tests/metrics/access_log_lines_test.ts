// The access log's writer and lines: two writers appending to one file at once
// (as the workers of one server do) never tear or lose a line, each writer's
// lines keep their order; lines past the waiting bound are dropped and counted;
// secret query parameters never reach a line.

import { assert, assertEquals } from "../support/assert.ts";
import { AccessLogWriter } from "../../src/http/access_log_writer.ts";
import { accessLogLine, loggedTarget } from "../../src/http/access_log_format.ts";
import { RequestRecord } from "../../src/http/request_record.ts";

Deno.test("AccessLogWriter: two writers on one file: every line whole, none lost, each in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/access.log`;
    const writers = [
      await AccessLogWriter.open(path, { flushIntervalMs: 5 }),
      await AccessLogWriter.open(path, { flushIntervalMs: 5 }),
    ];
    const perWriter = 20_000;
    for (let i = 0; i < perWriter; i++) {
      for (const [w, writer] of writers.entries()) {
        writer.append(`w${w} ${i} ${"x".repeat(1 + (i * 7919) % 300)}\n`);
      }
      if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(writers.map((writer) => writer.close()));
    const lines = (await Deno.readTextFile(path)).split("\n");
    assertEquals(lines.pop(), ""); // ends with a whole line
    assertEquals(lines.length, 2 * perWriter);
    const next = [0, 0];
    for (const line of lines) {
      const match = /^w([01]) (\d+) (x+)$/.exec(line);
      assert(match, `torn line: ${line.slice(0, 80)}`);
      const [w, i] = [Number(match[1]), Number(match[2])];
      assertEquals(i, next[w], `writer ${w} out of order`);
      assertEquals(match[3].length, 1 + (i * 7919) % 300);
      next[w]++;
    }
    assertEquals(writers.map((writer) => writer.dropped), [0, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AccessLogWriter: past 8 MiB waiting, lines are dropped, counted and reported once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const said: string[] = [];
    const log = await AccessLogWriter.open(`${dir}/access.log`, {
      flushIntervalMs: 60_000,
      onError: (message) => said.push(message),
    });
    const line = `${"y".repeat(1023)}\n`;
    // Appended synchronously: no write can finish meanwhile.
    for (let i = 0; i < 9 * 1024; i++) log.append(line);
    assert(log.dropped > 0 && log.dropped < 2 * 1024, `dropped ${log.dropped}`);
    assertEquals(said, ["access log: cannot keep up; dropping lines"]);
    await log.close();
    const written = (await Deno.readTextFile(`${dir}/access.log`)).length / line.length;
    assertEquals(written + log.dropped, 9 * 1024);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("access log lines: secret query values redacted in both formats, the rest as sent", () => {
  const target = "/restore-jobs/j/chunk/t?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
    "&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1&X-Amz-Signature=deadbeef" +
    "&X-Amz-Security-Token=tok&password=pw&max-results=5";
  const expected = "/restore-jobs/j/chunk/t?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
    "&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED" +
    "&X-Amz-Security-Token=REDACTED&password=REDACTED&max-results=5";
  assertEquals(loggedTarget(target), expected);
  const record = new RequestRecord("GET", target, "::1");
  record.status = 200;
  const clf = accessLogLine(record, "clf");
  const json = accessLogLine(record, "json");
  for (const line of [clf, json]) {
    for (const secret of ["AKIDEXAMPLE", "deadbeef", "tok&", "=pw"]) {
      assert(!line.includes(secret), `${secret} in ${line}`);
    }
  }
  assertEquals(JSON.parse(json).path, expected);
  assert(clf.startsWith(`::1 - - [`), clf);
  // A very long target is cut; a quote or control character cannot break a CLF line.
  assertEquals(loggedTarget(`/${"a".repeat(5000)}`).length, 2048 + 3);
  const odd = new RequestRecord("GET", '/a"b\\c', "127.0.0.1");
  odd.user = "bob smith";
  assert(accessLogLine(odd, "clf").includes('"GET /a\\"b\\\\c HTTP/1.1"'));
  assert(accessLogLine(odd, "clf").includes(" bob\\x20smith "));
});
