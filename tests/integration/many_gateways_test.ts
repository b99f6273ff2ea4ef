// Many gateways, one store (issue #11): three `deno task storage` processes over
// one store (the default data directory, or PostgreSQL + S3 when the suite runs
// under tests/support/engines/with_engines.ts) answer as one service.

import { sha256, summaryChecksum } from "../../src/storage/checksum.ts";
import { BackupStorageClient } from "../../src/storage/client/mod.ts";
import { DataAlreadyExistsException } from "../../src/storage/errors.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { freePort } from "../support/engines/_process.ts";
import {
  type Gateway,
  GATEWAY_KEYS,
  startGateway,
  writeGatewayCredentials,
} from "../support/gateway_process.ts";
import { testStoreLocation } from "../support/test_store.ts";
import { chunkInput, putSmall } from "../storage/store/support/store_fixtures.ts";

const JOB = "many-gateways";
const encoder = new TextEncoder();

function client(gateway: Gateway): BackupStorageClient {
  return new BackupStorageClient({
    endpoint: gateway.endpoint,
    region: "us-east-1",
    credentials: GATEWAY_KEYS,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 50,
  });
}

async function withGateways(
  count: number,
  fn: (clients: BackupStorageClient[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "many_gateways_" });
  const location = await testStoreLocation(`${dir}/data`);
  const credentialsFile = await writeGatewayCredentials(dir);
  const gateways: Gateway[] = [];
  const clients: BackupStorageClient[] = [];
  try {
    for (let i = 0; i < count; i++) {
      // One after the other: the first creates the schema and the token key.
      gateways.push(await startGateway(location, { port: freePort(), credentialsFile }));
      clients.push(client(gateways[i]));
    }
    await fn(clients);
  } finally {
    for (const c of clients) await c.close();
    for (const gateway of gateways) {
      const { code, stderr } = await gateway.stop();
      assertEquals(code, 0, stderr);
    }
    await Deno.remove(dir, { recursive: true });
  }
}

async function readWhole(c: BackupStorageClient, token: string): Promise<Uint8Array> {
  const listed = await c.listChunks({ StorageJobId: JOB, ObjectToken: token });
  const parts: Uint8Array[] = [];
  for (const chunk of listed.ChunkList) {
    const got = await c.getChunk({ StorageJobId: JOB, ChunkToken: chunk.ChunkToken });
    parts.push(new Uint8Array(await new Response(got.Data).arrayBuffer()));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

Deno.test("three gateways over one store: listed by all at once, tokens of one accepted by all, an upload moves between them", async () => {
  await withGateways(3, async ([a, b, c]) => {
    const data = encoder.encode("written through gateway A\n".repeat(4000));
    await putSmall(a, JOB, "from-a", data);
    for (const other of [b, c]) {
      const listed = await other.listObjects({ StorageJobId: JOB });
      assertEquals(listed.ObjectList.map((o) => o.Name), ["from-a"]);
    }
    // A token minted by A opens the object through C.
    const [object] = (await a.listObjects({ StorageJobId: JOB })).ObjectList;
    assertEquals(await readWhole(c, object.ObjectToken), data);

    // Started on A, a chunk through B and one through C, completed on A.
    const chunks = [encoder.encode("first chunk ".repeat(9000)), encoder.encode("second")];
    const { UploadId } = await a.startObject({ BackupJobId: JOB, ObjectName: "moved" });
    for (const [index, gateway] of [b, c].entries()) {
      await gateway.putChunk(chunkInput(JOB, UploadId, index, chunks[index]));
    }
    const complete = {
      BackupJobId: JOB,
      UploadId,
      ObjectChecksum: summaryChecksum(chunks.map(sha256)),
      ObjectChecksumAlgorithm: "SUMMARY" as const,
    };
    const done = await a.notifyObjectComplete(complete);
    // The repeated completion lands on another gateway and answers the same.
    const again = await b.notifyObjectComplete(complete);
    assertEquals(again.ObjectChecksum, done.ObjectChecksum);
    const moved = (await c.listObjects({ StorageJobId: JOB, StartingObjectName: "moved" }))
      .ObjectList[0];
    assertEquals(moved.Name, "moved");
    assertEquals(
      await readWhole(b, moved.ObjectToken),
      new Uint8Array([...chunks[0], ...chunks[1]]),
    );
  });
});

Deno.test("three gateways racing ThrowOnDuplicate on one name (PutObject, and uploads completed at once): exactly one winner, every round", async () => {
  await withGateways(3, async (clients) => {
    for (let round = 0; round < 15; round++) {
      const name = `race-${round}`;
      const outcomes = await Promise.allSettled(
        clients.map((c, i) =>
          round % 2 === 0
            ? putSmall(c, JOB, name, encoder.encode(`gateway ${i}`), { ThrowOnDuplicate: true })
            : (async () => {
              // Uploads started on every gateway, completed at once.
              const data = encoder.encode(`upload through gateway ${i}`);
              const { UploadId } = await c.startObject({
                BackupJobId: JOB,
                ObjectName: name,
                ThrowOnDuplicate: true,
              });
              await c.putChunk(chunkInput(JOB, UploadId, 0, data));
              return await c.notifyObjectComplete({
                BackupJobId: JOB,
                UploadId,
                ObjectChecksum: summaryChecksum([sha256(data)]),
                ObjectChecksumAlgorithm: "SUMMARY",
              });
            })()
        ),
      );
      const won = outcomes.filter((o) => o.status === "fulfilled");
      const lost = outcomes.filter((o) => o.status === "rejected");
      assertEquals(won.length, 1, `round ${round}: ${won.length} winners`);
      for (const loss of lost) {
        assert(
          (loss as PromiseRejectedResult).reason instanceof DataAlreadyExistsException,
          String((loss as PromiseRejectedResult).reason),
        );
      }
    }
    const names = (await clients[0].listObjects({ StorageJobId: JOB, MaxResults: 100 }))
      .ObjectList.map((o) => o.Name);
    assertEquals(names.length, 15);
  });
});
