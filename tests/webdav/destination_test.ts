// The Destination header of COPY and MOVE (RFC 4918 §10.3: an absolute URI or an
// absolute path): anything else is 400 and creates nothing; an absolute URI on
// another host stays 502; absolute URLs, absolute paths and percent-encoded names
// keep working.

import { assert, assertEquals, davTest } from "./support/dav_server.ts";
import { assertThrows } from "../support/assert.ts";
import { pathOfHref } from "../../webdav/http/href.ts";
import { DavError } from "../../webdav/dav_error.ts";

async function names(fs: { readDir(p: string): AsyncIterable<{ name: string }> }) {
  const out: string[] = [];
  for await (const entry of fs.readDir("/")) out.push(entry.name);
  return out.sort();
}

async function send(
  dav: { request(path: string, init?: RequestInit): Promise<Response> },
  method: string,
  path: string,
  destination: string,
): Promise<number> {
  const response = await dav.request(path, { method, headers: { Destination: destination } });
  await response.body?.cancel();
  return response.status;
}

davTest(
  "a Destination that is neither an absolute URI nor an absolute path is 400, nothing created",
  async (dav) => {
    await dav.fs.writeTextFile("/a.txt", "A");
    for (
      const bad of [
        "::::not a uri",
        "a b c",
        "relative.txt",
        "./x",
        "../x",
        "?x",
        "//other-host/x",
        "/x#fragment",
        "http://[::1",
        "/a\u0001b",
      ]
    ) {
      let status: number;
      try {
        status = await send(dav, "COPY", "/a.txt", bad);
      } catch {
        continue; // fetch refuses to send some header values itself
      }
      assertEquals([bad, status], [bad, 400]);
      assertEquals([bad, await send(dav, "MOVE", "/a.txt", bad)], [bad, 400]);
    }
    assertEquals(await names(dav.fs), ["a.txt"]);
    assertEquals(await dav.fs.readTextFile("/a.txt"), "A");
  },
);

davTest(
  "valid Destinations: absolute URLs, absolute paths, percent-encoded names; another host is 502",
  async (dav) => {
    await dav.fs.writeTextFile("/a.txt", "A");
    assertEquals(await send(dav, "COPY", "/a.txt", `${dav.base}b.txt`), 201);
    assertEquals(await send(dav, "COPY", "/a.txt", "/x"), 201);
    assertEquals(await send(dav, "COPY", "/a.txt", "/n%C3%A4me%20%231.txt"), 201);
    assertEquals(await send(dav, "COPY", "/a.txt", `${dav.base}sp%20ace.txt?ignored=1`), 201);
    assertEquals(await send(dav, "MOVE", "/x", `${dav.origin}/y`), 201);
    assertEquals(await send(dav, "COPY", "/a.txt", "http://example.invalid/z"), 502);
    assertEquals(
      await send(dav, "COPY", "/a.txt", "urn:uuid:00000000-0000-0000-0000-000000000000"),
      502,
    );
    assertEquals(await names(dav.fs), ["a.txt", "b.txt", "näme #1.txt", "sp ace.txt", "y"].sort());
  },
);

Deno.test("pathOfHref: 400 for a relative reference, undefined for another host, the path otherwise", () => {
  const options = { base: "http://h:8/dav/a", prefix: "/dav" };
  assertEquals(pathOfHref("http://h:8/dav/x%20y", options), "/x y");
  assertEquals(pathOfHref("/dav/x", options), "/x");
  assertEquals(pathOfHref("HTTPS://H:8/dav/x", options), "/x");
  assertEquals(pathOfHref("http://other/dav/x", options), undefined);
  assertEquals(pathOfHref("http://h:8/elsewhere", options), undefined);
  assertEquals(pathOfHref("ftp://h:8/dav/x", options), undefined);
  for (const bad of ["x", "a b c", "::::not a uri", "//h:8/dav/x", "/dav/x#y", "/dav/%zz"]) {
    const error = assertThrows(() => pathOfHref(bad, options), DavError);
    assert(error.status === 400, bad);
  }
});
