// Credentials and region: explicit, environment, shared files with profiles and
// session tokens. Instance metadata is never reached (AWS_EC2_METADATA_DISABLED).

import { BackupStorageClient } from "../../../src/storage/client/mod.ts";
import { credentialProvider, resolveRegion } from "../../../src/storage/client/credentials.ts";
import { assert, assertEquals, assertRejects } from "../../support/assert.ts";
import { json, startServer, verifySignature } from "./support/client_fixtures.ts";

const AWS_VARS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_PROFILE",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
];

/** Runs `fn` with the AWS variables replaced by `vars` (and metadata disabled), then restores them. */
async function withEnv(
  vars: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const saved = new Map(AWS_VARS.map((name) => [name, Deno.env.get(name)]));
  const dir = await Deno.makeTempDir({ prefix: "client-creds-" });
  try {
    for (const name of AWS_VARS) Deno.env.delete(name);
    Deno.env.set("AWS_EC2_METADATA_DISABLED", "true");
    // Point the shared files at (absent) temp paths unless the test writes them.
    Deno.env.set("AWS_SHARED_CREDENTIALS_FILE", `${dir}/credentials`);
    Deno.env.set("AWS_CONFIG_FILE", `${dir}/config`);
    for (const [name, value] of Object.entries(vars)) Deno.env.set(name, value);
    await fn(dir);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    await Deno.remove(dir, { recursive: true });
  }
}

const CREDENTIALS_FILE = `[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[work]
aws_access_key_id = AKIDWORK
aws_secret_access_key = work/secret+1
aws_session_token = work-session-token
`;

const CONFIG_FILE = `[default]
region = us-west-2

[profile work]
region = eu-central-1
`;

async function writeFiles(dir: string): Promise<void> {
  await Deno.writeTextFile(`${dir}/credentials`, CREDENTIALS_FILE);
  await Deno.writeTextFile(`${dir}/config`, CONFIG_FILE);
}

async function signedCall(client: BackupStorageClient): Promise<void> {
  await client.startObject({ BackupJobId: "j", ObjectName: "o" });
}

Deno.test("credentials and region from environment variables (with a session token)", async () => {
  await withEnv({
    AWS_ACCESS_KEY_ID: "AKIDENV",
    AWS_SECRET_ACCESS_KEY: "env-secret",
    AWS_SESSION_TOKEN: "env-token",
    AWS_REGION: "ap-env-1",
  }, async () => {
    await using server = startServer(() => json({ UploadId: "u" }));
    await using client = new BackupStorageClient({ endpoint: server.url });
    await signedCall(client);
    const [req] = server.requests;
    assertEquals(req.headers.get("x-amz-security-token"), "env-token");
    const facts = await verifySignature(req, {
      accessKeyId: "AKIDENV",
      secretAccessKey: "env-secret",
      sessionToken: "env-token",
    });
    assertEquals(facts.accessKeyId, "AKIDENV");
    assertEquals(facts.region, "ap-env-1");
  });
});

Deno.test("shared credentials file: named profile with a session token, region from config", async () => {
  await withEnv({}, async (dir) => {
    await writeFiles(dir);
    await using server = startServer(() => json({ UploadId: "u" }));
    // Profile given as an option.
    {
      await using client = new BackupStorageClient({ endpoint: server.url, profile: "work" });
      await signedCall(client);
    }
    // Profile from AWS_PROFILE.
    Deno.env.set("AWS_PROFILE", "work");
    {
      await using client = new BackupStorageClient({ endpoint: server.url });
      await signedCall(client);
    }
    Deno.env.delete("AWS_PROFILE");
    // The default profile.
    {
      await using client = new BackupStorageClient({ endpoint: server.url });
      await signedCall(client);
    }
    const work = { accessKeyId: "AKIDWORK", secretAccessKey: "work/secret+1" };
    for (const req of server.requests.slice(0, 2)) {
      assertEquals(req.headers.get("x-amz-security-token"), "work-session-token");
      const facts = await verifySignature(req, { ...work, sessionToken: "work-session-token" });
      assertEquals(facts.accessKeyId, "AKIDWORK");
      assertEquals(facts.region, "eu-central-1");
    }
    const third = server.requests[2];
    assertEquals(third.headers.get("x-amz-security-token"), null);
    const facts = await verifySignature(third, {
      accessKeyId: "AKIDDEFAULT",
      secretAccessKey: "default-secret",
    });
    assertEquals(facts.region, "us-west-2");
  });
});

Deno.test("region order: option, AWS_REGION, AWS_DEFAULT_REGION, config profile; clear error", async () => {
  await withEnv({}, async (dir) => {
    await assertRejects(() => resolveRegion(undefined), Error, "no region configured");
    await writeFiles(dir);
    assertEquals(await resolveRegion(undefined), "us-west-2");
    assertEquals(await resolveRegion(undefined, { profile: "work" }), "eu-central-1");
    Deno.env.set("AWS_DEFAULT_REGION", "default-env-1");
    assertEquals(await resolveRegion(undefined, { profile: "work" }), "default-env-1");
    Deno.env.set("AWS_REGION", "env-1");
    assertEquals(await resolveRegion(undefined), "env-1");
    assertEquals(await resolveRegion("opt-1"), "opt-1");
  });
});

Deno.test("a client without any region fails clearly and sends nothing", async () => {
  await withEnv({}, async () => {
    await using server = startServer(() => json({ UploadId: "u" }));
    await using client = new BackupStorageClient({
      endpoint: server.url,
      credentials: { accessKeyId: "A", secretAccessKey: "S" },
    });
    await assertRejects(
      () => client.startObject({ BackupJobId: "j", ObjectName: "o" }),
      Error,
      "no region configured",
    );
    assertEquals(server.requests.length, 0);
  });
});

Deno.test("no credentials anywhere: a clear error, nothing sent", async () => {
  await withEnv({ AWS_REGION: "r-1" }, async () => {
    await using server = startServer(() => json({ UploadId: "u" }));
    await using client = new BackupStorageClient({ endpoint: server.url, maxAttempts: 1 });
    await assertRejects(
      () => client.startObject({ BackupJobId: "j", ObjectName: "o" }),
      Error,
      "no credentials found",
    );
    assertEquals(server.requests.length, 0);
  });
});

Deno.test("default endpoint is https://backupstorage.{region}.amazonaws.com", async () => {
  const seen: string[] = [];
  await using client = new BackupStorageClient({
    region: "us-east-2",
    credentials: { accessKeyId: "A", secretAccessKey: "S" },
    fetch: (input) => {
      seen.push(String(input));
      return Promise.resolve(new Response(JSON.stringify({ UploadId: "u" })));
    },
  });
  await client.startObject({ BackupJobId: "j", ObjectName: "a/b" });
  assertEquals(seen, ["https://backupstorage.us-east-2.amazonaws.com/backup-jobs/j/object/a%2Fb"]);
});

Deno.test("credentialProvider caches until shortly before expiry; concurrent calls share one fetch", async () => {
  let now = 1_000_000;
  let calls = 0;
  const provide = credentialProvider(() => {
    calls++;
    return Promise.resolve({
      accessKeyId: `AK${calls}`,
      secretAccessKey: "s",
      expiration: new Date(now + 10 * 60_000),
    });
  }, { now: () => now, refreshBeforeMs: 60_000 });
  const [a, b] = await Promise.all([provide(), provide()]);
  assertEquals(calls, 1);
  assertEquals(a.accessKeyId, "AK1");
  assertEquals(b.accessKeyId, "AK1");
  now += 8 * 60_000; // 2 minutes left: still cached
  assertEquals((await provide()).accessKeyId, "AK1");
  now += 90_000; // 30 s left: refreshed
  assertEquals((await provide()).accessKeyId, "AK2");
  assertEquals(calls, 2);

  const staticProvider = credentialProvider({ accessKeyId: "X", secretAccessKey: "Y" });
  assertEquals((await staticProvider()).accessKeyId, "X");
  const bad = credentialProvider(() => Promise.resolve({ accessKeyId: "X", secretAccessKey: "" }));
  const error = await assertRejects(() => bad(), TypeError, "secretAccessKey");
  assert(!error.message.includes("Y"));
});
