// Behind a reverse proxy the access log names the client the proxy reports
// (`X-Forwarded-For`, else `Forwarded: for=`), believed only from a
// `--trusted-proxy` peer; from any other peer the TCP peer is logged.

import { assertEquals } from "../../support/assert.ts";
import { startCommand } from "../../integration/support/worker_command.ts";
import { eventually } from "../../metrics/support/scrape.ts";
import { logLines } from "../../metrics/support/log_lines.ts";
import { serveArgs } from "../support/serve_args.ts";

/** The client field of each CLF line of `path`. */
async function loggedClients(path: string): Promise<string[]> {
  return (await logLines(path)).map((line) => line.split(" ")[0]);
}

async function clientsLogged(trusted: string[]): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/access.log`;
    const serve = await startCommand("serve", [
      ...serveArgs(`${dir}/data`, { workers: 1 }),
      "--access-log",
      log,
      ...trusted.flatMap((address) => ["--trusted-proxy", address]),
    ]);
    try {
      const send = async (headers: Record<string, string>) => {
        await (await fetch(`${serve.origin}/`, { method: "OPTIONS", headers })).body?.cancel();
      };
      // What a proxy sends: the client's own header (maybe forged) first, its own entry last.
      await send({ "X-Forwarded-For": "192.0.2.66, 198.51.100.7" });
      await send({ Forwarded: 'for="[2001:db8::5]:4711";proto=https' });
      await send({ "X-Forwarded-For": "unknown" });
      await send({});
      await eventually("4 lines", async () => (await loggedClients(log)).length >= 4 || undefined);
    } finally {
      const { code, stderr } = await serve.stop();
      assertEquals(code, 0, stderr);
    }
    return await loggedClients(log);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("access log behind a trusted proxy: the forwarded client, else the peer", async () => {
  assertEquals(await clientsLogged(["127.0.0.1"]), [
    "198.51.100.7",
    "2001:db8::5",
    "127.0.0.1", // `unknown` names no address: the peer stays
    "127.0.0.1",
  ]);
});

Deno.test("access log without a trusted proxy: forwarded headers are ignored", async () => {
  assertEquals(await clientsLogged([]), Array(4).fill("127.0.0.1"));
});
