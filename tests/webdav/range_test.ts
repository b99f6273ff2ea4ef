import { assert, assertEquals, assertMatch, davTest } from "./support/dav_server.ts";

const DATA = new Uint8Array(10_000).map((_, i) => (i * 7) % 251);

function slice(start: number, end: number): number[] {
  return [...DATA.subarray(start, end)];
}

davTest(
  "Range: a single range is 206 with Content-Range (also across chunk boundaries and suffixes)",
  async (dav) => {
    await dav.fs.writeFile("/data.bin", DATA); // 4 KiB chunks
    const cases: [string, number, number][] = [
      ["bytes=0-0", 0, 1],
      ["bytes=4000-8199", 4000, 8200],
      ["bytes=9990-", 9990, 10_000],
      ["bytes=-10", 9990, 10_000],
      ["bytes=9000-20000", 9000, 10_000],
      ["bytes=-20000", 0, 10_000],
    ];
    for (const [range, start, end] of cases) {
      const response = await dav.request("/data.bin", { headers: { Range: range } });
      assertEquals(response.status, 206, range);
      assertEquals(response.headers.get("content-range"), `bytes ${start}-${end - 1}/10000`, range);
      assertEquals(response.headers.get("content-length"), String(end - start), range);
      assertEquals([...new Uint8Array(await response.arrayBuffer())], slice(start, end), range);
    }
    const head = await dav.request("/data.bin", {
      method: "HEAD",
      headers: { Range: "bytes=10-19" },
    });
    assertEquals(head.status, 206);
    assertEquals(head.headers.get("content-length"), "10");
    await head.body?.cancel();
  },
);

davTest(
  "Range: several ranges give multipart/byteranges with each part's Content-Range",
  async (dav) => {
    await dav.fs.writeFile("/data.bin", DATA);
    const response = await dav.request("/data.bin", {
      headers: { Range: "bytes=0-9, 5000-5099, -5" },
    });
    assertEquals(response.status, 206);
    const type = response.headers.get("content-type")!;
    const boundary = /^multipart\/byteranges; boundary=(.+)$/.exec(type)?.[1];
    assert(boundary, type);
    const bytes = new Uint8Array(await response.arrayBuffer());
    assertEquals(response.headers.get("content-length"), String(bytes.byteLength));
    const text = [...bytes].map((b) => String.fromCharCode(b)).join(""); // byte-exact latin-1
    const parts = text.split(`--${boundary}`);
    assertEquals(parts.at(-1), "--\r\n");
    const bodies = parts.slice(1, -1).map((part) => {
      const [head, body] = [
        part.slice(0, part.indexOf("\r\n\r\n")),
        part.slice(part.indexOf("\r\n\r\n") + 4),
      ];
      return { head, body: [...body.replace(/\r\n$/, "")].map((c) => c.charCodeAt(0)) };
    });
    assertEquals(bodies.length, 3);
    assertMatch(bodies[0]!.head, /Content-Range: bytes 0-9\/10000/);
    assertMatch(bodies[1]!.head, /Content-Range: bytes 5000-5099\/10000/);
    assertMatch(bodies[2]!.head, /Content-Range: bytes 9995-9999\/10000/);
    assertMatch(bodies[0]!.head, /Content-Type: application\/octet-stream/);
    assertEquals(bodies[0]!.body, slice(0, 10));
    assertEquals(bodies[1]!.body, slice(5000, 5100));
    assertEquals(bodies[2]!.body, slice(9995, 10_000));
  },
);

davTest(
  "Range: unsatisfiable → 416 with Content-Range bytes */size; malformed → 200 full",
  async (dav) => {
    await dav.fs.writeFile("/data.bin", DATA);
    const r416 = await dav.request("/data.bin", { headers: { Range: "bytes=10000-" } });
    assertEquals(r416.status, 416);
    assertEquals(r416.headers.get("content-range"), "bytes */10000");
    await r416.body?.cancel();
    for (const range of ["bytes=5-1", "items=0-1", "bytes=abc", "bytes="]) {
      const full = await dav.request("/data.bin", { headers: { Range: range } });
      assertEquals(full.status, 200, range);
      assertEquals((await full.arrayBuffer()).byteLength, 10_000, range);
    }
  },
);

davTest(
  "If-Range: a matching ETag or date applies the range, anything else gives the whole file",
  async (dav) => {
    await dav.fs.writeFile("/data.bin", DATA, { mtime: Date.UTC(2024, 5, 1, 12) });
    const etag = `"${(await dav.fs.stat("/data.bin")).etag}"`;
    const date = new Date(Date.UTC(2024, 5, 1, 12)).toUTCString();
    const check = async (ifRange: string, expected: number) => {
      const response = await dav.request("/data.bin", {
        headers: { Range: "bytes=0-99", "If-Range": ifRange },
      });
      assertEquals(response.status, expected, ifRange);
      assertEquals((await response.arrayBuffer()).byteLength, expected === 206 ? 100 : 10_000);
    };
    await check(etag, 206);
    await check(date, 206);
    await check('"stale"', 200);
    await check(`W/${etag}`, 200);
    await check(new Date(Date.UTC(2024, 5, 1, 13)).toUTCString(), 200);
  },
);

davTest(
  "Range: overlapping ranges are coalesced, so no answer repeats the file (RFC 7233 §4.1, §6.1)",
  async (dav) => {
    await dav.fs.writeFile("/data.bin", DATA);
    // 64 times the whole file was 64 times its size.
    const whole = await dav.request("/data.bin", {
      headers: { Range: `bytes=${Array(64).fill("0-").join(",")}` },
    });
    assertEquals(whole.status, 206);
    assertEquals(whole.headers.get("content-range"), "bytes 0-9999/10000");
    assertEquals([...new Uint8Array(await whole.arrayBuffer())], slice(0, 10_000));
    // Overlapping and adjacent ranges merge, in ascending order; the others stay apart.
    const some = await dav.request("/data.bin", {
      headers: { Range: "bytes=9000-9099, 100-199, 150-299, 300-309, -5" },
    });
    assertEquals(some.status, 206);
    const text = [...new Uint8Array(await some.arrayBuffer())].map((b) => String.fromCharCode(b))
      .join("");
    const ranges = [...text.matchAll(/Content-Range: bytes (\d+-\d+)\/10000/g)].map((m) => m[1]);
    assertEquals(ranges, ["100-309", "9000-9099", "9995-9999"]);
  },
);
