import { assert, assertEquals, davTest } from "./support/dav_server.ts";
import { withRacingDav } from "./support/racing_fs.ts";

async function status(response: Promise<Response>): Promise<number> {
  const r = await response;
  await r.body?.cancel();
  return r.status;
}

davTest(
  "GET and HEAD carry a strong ETag (the SUMMARY checksum), Last-Modified and Accept-Ranges",
  async (dav) => {
    await dav.fs.writeTextFile("/a.txt", "hello");
    const info = await dav.fs.stat("/a.txt");
    for (const method of ["GET", "HEAD"]) {
      const response = await dav.request("/a.txt", { method });
      assertEquals(response.status, 200);
      assertEquals(response.headers.get("etag"), `"${info.etag}"`);
      assertEquals(response.headers.get("last-modified"), info.mtime!.toUTCString());
      assertEquals(response.headers.get("accept-ranges"), "bytes");
      assertEquals(response.headers.get("content-length"), "5");
      assertEquals(response.headers.get("content-type"), "text/plain; charset=utf-8");
      assertEquals(await response.text(), method === "GET" ? "hello" : "");
    }
  },
);

davTest(
  "If-None-Match and If-Modified-Since on GET/HEAD give 304; on other methods 412",
  async (dav) => {
    await dav.fs.writeTextFile("/a.txt", "hello");
    const etag = `"${(await dav.fs.stat("/a.txt")).etag}"`;
    const later = new Date(Date.now() + 5_000).toUTCString();
    const r304 = await dav.request("/a.txt", { headers: { "If-None-Match": etag } });
    assertEquals(r304.status, 304);
    assertEquals(r304.headers.get("etag"), etag);
    await r304.body?.cancel();
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "HEAD", headers: { "If-None-Match": `"x", ${etag}` } }),
      ),
      304,
    );
    assertEquals(await status(dav.request("/a.txt", { headers: { "If-None-Match": "*" } })), 304);
    assertEquals(
      await status(dav.request("/a.txt", { headers: { "If-None-Match": '"other"' } })),
      200,
    );
    // If-Modified-Since in the future is ignored (RFC 7232 §3.3); now-ish → 304.
    assertEquals(
      await status(dav.request("/a.txt", { headers: { "If-Modified-Since": later } })),
      200,
    );
    const now = new Date().toUTCString();
    assertEquals(
      await status(dav.request("/a.txt", { headers: { "If-Modified-Since": now } })),
      304,
    );
    const old = new Date(0).toUTCString();
    assertEquals(
      await status(dav.request("/a.txt", { headers: { "If-Modified-Since": old } })),
      200,
    );
    // If-None-Match wins over If-Modified-Since.
    assertEquals(
      await status(
        dav.request("/a.txt", {
          headers: { "If-None-Match": '"other"', "If-Modified-Since": now },
        }),
      ),
      200,
    );
    // Non-GET: If-None-Match matching → 412, and If-Modified-Since is ignored.
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "PUT", headers: { "If-None-Match": "*" }, body: "x" }),
      ),
      412,
    );
    assertEquals(
      await status(dav.request("/a.txt", { method: "DELETE", headers: { "If-None-Match": etag } })),
      412,
    );
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "DELETE", headers: { "If-Modified-Since": now } }),
      ),
      204,
    );
    assertEquals(await dav.fs.exists("/a.txt"), false);
  },
);

davTest(
  "If-Match: a wrong or weak tag fails every method with 412; * needs the resource",
  async (dav) => {
    await dav.fs.writeTextFile("/a.txt", "hello");
    const etag = `"${(await dav.fs.stat("/a.txt")).etag}"`;
    const wrong = { "If-Match": '"nope"' };
    const proppatch =
      '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">1</x:p></D:prop></D:set></D:propertyupdate>';
    assertEquals(await status(dav.request("/a.txt", { headers: wrong })), 412);
    assertEquals(await status(dav.request("/a.txt", { method: "HEAD", headers: wrong })), 412);
    assertEquals(
      await status(dav.request("/a.txt", { method: "PUT", headers: wrong, body: "new" })),
      412,
    );
    assertEquals(await status(dav.request("/a.txt", { method: "DELETE", headers: wrong })), 412);
    assertEquals(
      await status(dav.request("/a.txt", { method: "PROPPATCH", headers: wrong, body: proppatch })),
      412,
    );
    const destination = { Destination: `${dav.base}b.txt` };
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "COPY", headers: { ...wrong, ...destination } }),
      ),
      412,
    );
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "MOVE", headers: { ...wrong, ...destination } }),
      ),
      412,
    );
    assertEquals(
      await status(dav.request("/a.txt", { headers: { "If-Match": `W/${etag}` } })),
      412,
    );
    assertEquals(await dav.fs.readTextFile("/a.txt"), "hello");
    assertEquals(await dav.fs.exists("/b.txt"), false);
    // The right tag passes.
    assertEquals(await status(dav.request("/a.txt", { headers: { "If-Match": etag } })), 200);
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "PUT", headers: { "If-Match": etag }, body: "new" }),
      ),
      204,
    );
    assertEquals(await dav.fs.readTextFile("/a.txt"), "new");
    // The old tag no longer matches.
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "PUT", headers: { "If-Match": etag }, body: "newer" }),
      ),
      412,
    );
    // If-Match: * on a missing resource fails; If-None-Match: * creates only.
    assertEquals(
      await status(
        dav.request("/c.txt", { method: "PUT", headers: { "If-Match": "*" }, body: "c" }),
      ),
      412,
    );
    assertEquals(
      await status(
        dav.request("/c.txt", { method: "PUT", headers: { "If-None-Match": "*" }, body: "c" }),
      ),
      201,
    );
    assertEquals(
      await status(
        dav.request("/c.txt", { method: "PUT", headers: { "If-None-Match": "*" }, body: "c2" }),
      ),
      412,
    );
    assertEquals(await dav.fs.readTextFile("/c.txt"), "c");
  },
);

davTest(
  "If-Unmodified-Since applies to GET, PUT, DELETE, PROPPATCH, COPY and MOVE",
  async (dav) => {
    await dav.fs.writeFile("/a.txt", new TextEncoder().encode("a"), {
      mtime: Date.UTC(2024, 0, 1),
    });
    const before = { "If-Unmodified-Since": new Date(Date.UTC(2023, 0, 1)).toUTCString() };
    const after = { "If-Unmodified-Since": new Date(Date.UTC(2025, 0, 1)).toUTCString() };
    const proppatch =
      '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:p xmlns:x="urn:x">1</x:p></D:prop></D:set></D:propertyupdate>';
    assertEquals(await status(dav.request("/a.txt", { headers: before })), 412);
    assertEquals(
      await status(dav.request("/a.txt", { method: "PUT", headers: before, body: "b" })),
      412,
    );
    assertEquals(await status(dav.request("/a.txt", { method: "DELETE", headers: before })), 412);
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "PROPPATCH", headers: before, body: proppatch }),
      ),
      412,
    );
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "COPY", headers: { ...before, Destination: "/b" } }),
      ),
      412,
    );
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "MOVE", headers: { ...before, Destination: "/b" } }),
      ),
      412,
    );
    assertEquals(await status(dav.request("/a.txt", { headers: after })), 200);
    assertEquals(
      await status(
        dav.request("/a.txt", { method: "COPY", headers: { ...after, Destination: "/b" } }),
      ),
      201,
    );
    assertEquals(
      await status(dav.request("/a.txt", { method: "PROPPATCH", headers: after, body: proppatch })),
      207,
    );
    // If-Match takes precedence: If-Unmodified-Since is then ignored.
    const etag = `"${(await dav.fs.stat("/a.txt")).etag}"`;
    assertEquals(
      await status(dav.request("/a.txt", { headers: { ...before, "If-Match": etag } })),
      200,
    );
    assert(await dav.fs.exists("/b"));
  },
);

davTest(
  "If-Modified-Since and If-Unmodified-Since that are not HTTP-dates are ignored",
  async (dav) => {
    await dav.fs.writeTextFile("/a.txt", "hello");
    // Date.parse reads each of these as some date (2000, 2001, a rolled-over
    // 1 Dec, a time zone other than GMT); RFC 7232 §3.3/§3.4 says to ignore them.
    const mtime = (await dav.fs.stat("/a.txt")).mtime!;
    const notDates = [
      "0",
      "-1",
      "a 1",
      "Sun, 31 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 PST",
      new Date(mtime.getTime() - 1000).toString(), // JavaScript's own format
      mtime.toISOString(),
    ];
    for (const value of notDates) {
      assertEquals(
        await status(dav.request("/a.txt", { headers: { "If-Unmodified-Since": value } })),
        200,
        `If-Unmodified-Since: ${value}`,
      );
      assertEquals(
        await status(
          dav.request("/a.txt", {
            method: "PUT",
            body: "x",
            headers: { "If-Unmodified-Since": value },
          }),
        ),
        204,
        `PUT If-Unmodified-Since: ${value}`,
      );
    }
    // Read by Date.parse as now (≥ the modification): 304 unless ignored.
    for (const value of [new Date().toString(), new Date().toISOString()]) {
      assertEquals(
        await status(dav.request("/a.txt", { headers: { "If-Modified-Since": value } })),
        200,
        `If-Modified-Since: ${value}`,
      );
    }
    // The three HTTP-date forms still apply (RFC 7231 §7.1.1.1).
    const old = new Date(Date.UTC(1994, 10, 6, 8, 49, 37));
    for (
      const form of [
        old.toUTCString(),
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
      ]
    ) {
      assertEquals(
        await status(dav.request("/a.txt", { headers: { "If-Unmodified-Since": form } })),
        412,
        form,
      );
    }
  },
);

Deno.test("PUT If-None-Match: * is atomic: a file another client creates after the check is kept, the PUT is 412", async () => {
  await withRacingDav(async (fs, fetch) => {
    // Another client creates the file between this PUT's check (the stat) and its commit.
    fs.afterNextStat("/new.txt", async () => {
      await fs.writeTextFile("/new.txt", "the other client's");
    });
    const response = await fetch(
      new Request("http://h/new.txt", {
        method: "PUT",
        headers: { "If-None-Match": "*" },
        body: "this client's",
      }),
    );
    await response.body?.cancel();
    assertEquals(fs.pending("/new.txt"), false, "the race ran");
    assertEquals(response.status, 412);
    assertEquals(await fs.readTextFile("/new.txt"), "the other client's");
    // The same for a body of several chunks (a streamed upload, committed by NotifyObjectComplete).
    fs.afterNextStat("/big.bin", async () => {
      await fs.writeTextFile("/big.bin", "the other client's");
    });
    const big = await fetch(
      new Request("http://h/big.bin", {
        method: "PUT",
        headers: { "If-None-Match": "*" },
        body: new Uint8Array(20_000).fill(7),
      }),
    );
    await big.body?.cancel();
    assertEquals(big.status, 412);
    assertEquals(await fs.readTextFile("/big.bin"), "the other client's");
    // Without the race, If-None-Match: * creates as before.
    const created = await fetch(
      new Request("http://h/other.txt", {
        method: "PUT",
        headers: { "If-None-Match": "*" },
        body: "created",
      }),
    );
    assertEquals(created.status, 201);
    assertEquals(await fs.readTextFile("/other.txt"), "created");
  });
});

Deno.test("PUT If-Match is checked again before the commit: a version another client writes meanwhile is kept, 412", async () => {
  await withRacingDav(async (fs, fetch) => {
    await fs.writeTextFile("/doc.txt", "version 1");
    const etag = `"${(await fs.stat("/doc.txt")).etag}"`;
    // Another client replaces the file after this PUT's check, while its body uploads.
    fs.afterNextStat("/doc.txt", async () => {
      await fs.writeTextFile("/doc.txt", "the other client's version 2");
    });
    const response = await fetch(
      new Request("http://h/doc.txt", {
        method: "PUT",
        headers: { "If-Match": etag },
        body: "this client's version 2",
      }),
    );
    await response.body?.cancel();
    assertEquals(fs.pending("/doc.txt"), false, "the race ran");
    assertEquals(response.status, 412);
    assertEquals(await fs.readTextFile("/doc.txt"), "the other client's version 2");
    // Without a race: If-Match with the current ETag replaces.
    const current = `"${(await fs.stat("/doc.txt")).etag}"`;
    const replaced = await fetch(
      new Request("http://h/doc.txt", {
        method: "PUT",
        headers: { "If-Match": current },
        body: "v3",
      }),
    );
    await replaced.body?.cancel();
    assertEquals(replaced.status, 204);
    assertEquals(await fs.readTextFile("/doc.txt"), "v3");
  });
});
