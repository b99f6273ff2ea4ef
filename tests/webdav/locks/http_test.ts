// LOCK and UNLOCK over real HTTP (serveHttp, as `deno task serve`, on 127.0.0.1, port 0): status codes,
// the Lock-Token header and the XML body reach a fetch client intact.

import { serveHttp } from "../../../src/http/mod.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { lockinfo, openDav, PREFIX, serveRequest } from "./support/lock_fixtures.ts";

Deno.test("LOCK/UNLOCK over HTTP: lock-null 201, Lock-Token, 423 without the token, PUT with it, UNLOCK 204", async () => {
  const fx = await openDav();
  const server = await serveHttp((request) => serveRequest(fx, request), {
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}${PREFIX}`;
    let r = await fetch(`${base}/doc.txt`, {
      method: "LOCK",
      headers: { "Content-Type": "application/xml", Timeout: "Second-120", Depth: "0" },
      body: lockinfo("exclusive", "<D:href>http://example.org/me</D:href>"),
    });
    assertEquals(r.status, 201);
    assertEquals(r.headers.get("Content-Type"), "application/xml; charset=utf-8");
    const lockToken = r.headers.get("Lock-Token")!;
    const body = await r.text();
    assert(body.includes(`<D:href>${lockToken.slice(1, -1)}</D:href>`));
    assert(body.includes("<D:timeout>Second-120</D:timeout>"));
    assert(body.includes('<href xmlns="DAV:">http://example.org/me</href>'));

    r = await fetch(`${base}/doc.txt`, { method: "PUT", body: "hello" });
    assertEquals(r.status, 423);
    await r.body?.cancel();
    r = await fetch(`${base}/doc.txt`, {
      method: "PUT",
      body: "hello",
      // This stand-in resolves path-only tags (the real app also accepts its own origin).
      headers: { If: `<${PREFIX}/doc.txt> (${lockToken})` },
    });
    assertEquals(r.status, 204);
    await r.body?.cancel();
    assertEquals(await fx.fs.readTextFile("/doc.txt"), "hello");

    r = await fetch(`${base}/doc.txt`, { method: "UNLOCK", headers: { "Lock-Token": lockToken } });
    assertEquals(r.status, 204);
    await r.body?.cancel();
    r = await fetch(`${base}/doc.txt`, { method: "PUT", body: "again" });
    assertEquals(r.status, 204);
    await r.body?.cancel();
  } finally {
    await server.shutdown();
    await fx.close();
  }
});
