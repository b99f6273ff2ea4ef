/**
 * A throwaway Ceph RGW (the S3 gateway of Ceph) for the tests: a single-node
 * cluster in a temporary directory, with its own `ceph.conf` and a fresh fsid,
 * of one monitor, one OSD keeping objects in memory (`memstore`) and radosgw
 * answering S3 on a free 127.0.0.1 port, plus an S3 user whose keys it returns.
 * Cephx is off (`auth … required = none`); S3 requests are still signed (SigV4)
 * with the user's keys. Each daemon is a child process in the foreground, its
 * log in the directory; `stop()` ends them (SIGTERM, then SIGKILL after a bound)
 * and removes the directory. Needs Debian's `radosgw`, `ceph-mon` and `ceph-osd`.
 *
 * @example Start a gateway, store an object through the S3 SDK, stop it
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { PutObjectCommand, S3Client } from "../../../deps/aws_s3.ts";
 * import { startCephRgw } from "./ceph_rgw.ts";
 *
 * await using rgw = await startCephRgw();
 * const s3 = new S3Client({
 *   endpoint: rgw.endpoint,
 *   region: rgw.region,
 *   credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
 *   forcePathStyle: true,
 *   requestChecksumCalculation: "WHEN_REQUIRED",
 * });
 * // … CreateBucket, then PutObject with a Uint8Array body …
 * assert.ok(rgw.endpoint.startsWith("http://127.0.0.1:"));
 * s3.destroy();
 * ```
 *
 * (The example is not run by `--doc`: tests/engines/ceph_rgw_test.ts runs it.)
 *
 * Notes, measured: radosgw loops on `get_initial_auth_request returned -13`
 * unless `ms mon client mode = crc` when cephx is off; `paxos propose interval
 * = 0.1` cuts start-up from ~13 s to a few seconds; the S3 SDK's default
 * aws-chunked checksum uploads are refused by RGW (411), so clients set
 * `requestChecksumCalculation: "WHEN_REQUIRED"` and send Uint8Array bodies.
 *
 * @module
 */

import { Hash, SignatureV4 } from "../../../deps/smithy.ts";
import { findBinary, freePort, run, stopChild, waitFor } from "./_process.ts";

/** Options of {@linkcode startCephRgw}. */
export interface CephRgwOptions {
  /** Access key of the S3 user created in the gateway (default `"backupfs-test"`). */
  accessKeyId?: string;
  /** Secret key of that user (default a random one). */
  secretAccessKey?: string;
  /** Bytes the in-memory OSD may hold (default 1 GiB; memory is used only as objects are written). */
  memstoreBytes?: number;
  /** Bound on the whole start-up in milliseconds (default 60 000). */
  timeoutMs?: number;
  /** Milliseconds each daemon gets between SIGTERM and SIGKILL on stop (default 5 000). */
  stopGraceMs?: number;
  /** Directory holding the Ceph binaries (default: PATH and the usual sbin/bin directories). */
  binDir?: string;
}

/** A running throwaway gateway; `stop()` (or `await using`) ends it and removes its files. */
export interface CephRgw extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: the S3 endpoint (path-style addressing). */
  endpoint: string;
  /** The SigV4 region to sign with, `"us-east-1"`. */
  region: string;
  /** Access key of the gateway's S3 user. */
  accessKeyId: string;
  /** Secret key of that user. */
  secretAccessKey: string;
  /** The cluster's fsid; every daemon's command line names `dir`. */
  fsid: string;
  /** The temporary directory holding ceph.conf, the daemons' data and their logs. */
  dir: string;
  /** Process ids of the monitor, the OSD and radosgw. */
  pids: number[];
  /**
   * Creates bucket `name` (a SigV4-signed `PUT /name`, so a test needs no S3
   * SDK for it); throws with RGW's answer unless it succeeds.
   */
  createBucket(name: string): Promise<void>;
  /** Ends the three daemons (SIGTERM, SIGKILL after the grace) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
  /** Ends radosgw alone (SIGKILL): the S3 endpoint stops answering; the cluster stays. */
  stopRadosgw(): Promise<void>;
  /** Starts radosgw again on the same port; resolves once it answers. */
  startRadosgw(): Promise<void>;
}

const PACKAGES = "radosgw ceph-mon ceph-osd";
const REGION = "us-east-1";

interface Daemon {
  name: string;
  child: Deno.ChildProcess;
  /** Settles when the daemon exited and its output was written to its log. */
  done: Promise<void>;
  exited: boolean;
}

/**
 * Starts a single-node Ceph cluster (monitor, memstore OSD, radosgw) and an S3
 * user in a temporary directory and returns the S3 endpoint and keys once
 * radosgw answers.
 *
 * Throws an Error naming the Debian packages `radosgw ceph-mon ceph-osd` when
 * their binaries are missing.
 */
export async function startCephRgw(options?: CephRgwOptions): Promise<CephRgw> {
  const {
    accessKeyId = "backupfs-test",
    secretAccessKey = crypto.randomUUID().replaceAll("-", ""),
    memstoreBytes = 1 << 30,
    timeoutMs = 60_000,
    stopGraceMs = 5_000,
    binDir,
  } = options ?? {};
  const names = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph"];
  const bins = Object.fromEntries(
    names.map((name) => [name, findBinary(name, binDir ? [binDir] : undefined)]),
  );
  const missing = names.filter((name) => bins[name] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `Ceph RGW: ${missing.join(", ")} not found: install the Debian packages "${PACKAGES}" ` +
        `(apt-get install -y --no-install-recommends ${PACKAGES})`,
    );
  }
  const bin = (name: string) => bins[name] as string;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1_000, deadline - Date.now());

  const dir = await Deno.makeTempDir({ prefix: "backupfs_ceph_" });
  const conf = `${dir}/ceph.conf`;
  const fsid = crypto.randomUUID();
  const osdUuid = crypto.randomUUID();
  const monPort = freePort();
  const rgwPort = freePort();
  const daemons: Daemon[] = [];

  const spawn = async (name: string, command: string, args: string[]) => {
    const log = await Deno.open(`${dir}/log/${name}.out`, { write: true, create: true });
    const child = new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Both streams into one file, one whole chunk at a time.
    let writes = Promise.resolve();
    const writeAll = async (chunk: Uint8Array) => {
      for (let at = 0; at < chunk.length;) at += await log.write(chunk.subarray(at));
    };
    const copy = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) await (writes = writes.then(() => writeAll(chunk)));
    };
    const daemon: Daemon = { name, child, exited: false, done: Promise.resolve() };
    daemon.done = Promise.all([copy(child.stdout), copy(child.stderr), child.status])
      .then(() => {}, () => {})
      .finally(() => {
        daemon.exited = true;
        log.close();
      });
    daemons.push(daemon);
    return daemon;
  };
  // Called between tries of a wait: a daemon gone ends the wait at once.
  const failIfExited = () => {
    const dead = daemons.find((daemon) => daemon.exited);
    if (dead) throw new Error(`${dead.name} exited during start-up`);
  };
  const ceph = (args: string[]) =>
    run(bin("ceph"), ["--conf", conf, "--connect-timeout", "10", ...args], {
      timeoutMs: Math.min(left(), 20_000),
    });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      // radosgw, then the OSD, then the monitor (~0.7 s in all): radosgw waits on
      // the OSD as it ends, the OSD tells the monitor (osd_mon_shutdown_timeout, 5 s),
      // so ending them together takes the whole grace.
      for (const daemon of [...daemons].reverse()) await stopChild(daemon.child, stopGraceMs);
      await Promise.all(daemons.map((daemon) => daemon.done));
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();

  try {
    for (const sub of ["run", "log", "mon/ceph-a", "osd/ceph-0", "rgw"]) {
      await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    }
    await Deno.writeTextFile(
      conf,
      cephConf({ dir, fsid, monPort, rgwPort, memstoreBytes }),
    );
    await run(bin("monmaptool"), [
      "--create",
      "--fsid",
      fsid,
      "--addv",
      "a",
      `[v2:127.0.0.1:${monPort}]`,
      `${dir}/monmap`,
    ], { timeoutMs: left() });
    await run(bin("ceph-mon"), [
      "--conf",
      conf,
      "--id",
      "a",
      "--mkfs",
      "--monmap",
      `${dir}/monmap`,
    ], { timeoutMs: left() });
    await spawn("mon.a", bin("ceph-mon"), ["--conf", conf, "--id", "a", "-f"]);

    // `osd new <uuid>` is idempotent: retry until the monitor answers.
    // (The output is stdout then stderr: the id is the line that is a number.)
    const osdId = await waitFor("ceph-mon", async () => {
      const id = /^(\d+)$/m.exec(await ceph(["osd", "new", osdUuid]))?.[1];
      if (id === undefined) throw new Error("osd new printed no OSD id");
      return id;
    }, { timeoutMs: left(), intervalMs: 200, onRetry: failIfExited });
    await run(bin("ceph-osd"), [
      "--conf",
      conf,
      "--id",
      osdId,
      "--mkfs",
      "--osd-uuid",
      osdUuid,
    ], { timeoutMs: left() });
    await spawn(`osd.${osdId}`, bin("ceph-osd"), ["--conf", conf, "--id", osdId, "-f"]);
    await spawn("client.rgw", bin("radosgw"), ["--conf", conf, "--name", "client.rgw", "-f"]);

    // Waits for the OSD to be up and the pools writable, so it also bounds that wait.
    await run(bin("radosgw-admin"), [
      "--conf",
      conf,
      "user",
      "create",
      "--uid",
      "backupfs-test",
      "--display-name",
      "BackupFS tests",
      "--access-key",
      accessKeyId,
      "--secret-key",
      secretAccessKey,
    ], { timeoutMs: left() });

    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const answering = (timeoutMs: number) =>
      waitFor("radosgw", async () => {
        const response = await fetch(`${endpoint}/`);
        await response.body?.cancel();
        return response.ok ? true : undefined;
      }, { timeoutMs, intervalMs: 100, onRetry: failIfExited });
    await answering(left());
    const stopRadosgw = async () => {
      const index = daemons.findIndex((daemon) => daemon.name === "client.rgw");
      if (index < 0) return;
      const [daemon] = daemons.splice(index, 1);
      await stopChild(daemon.child, 0);
      await daemon.done;
    };
    const startRadosgw = async () => {
      if (daemons.some((daemon) => daemon.name === "client.rgw")) return;
      await spawn("client.rgw", bin("radosgw"), ["--conf", conf, "--name", "client.rgw", "-f"]);
      await answering(timeoutMs);
    };

    return {
      endpoint,
      region: REGION,
      accessKeyId,
      secretAccessKey,
      fsid,
      dir,
      pids: daemons.map((daemon) => daemon.child.pid),
      createBucket: (name) =>
        createBucket(new URL(`/${name}`, endpoint), { accessKeyId, secretAccessKey }),
      stop,
      stopRadosgw,
      startRadosgw,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    const logs = await logTails(dir);
    await stop();
    // A failed command's message names its arguments: the user's secret key among them.
    const message = `${(error as Error).message}${logs}`.replaceAll(secretAccessKey, "***");
    throw new Error(`Ceph RGW did not start: ${message}`);
  }
}

/** The cluster's ceph.conf: cephx off, one replica, memstore, everything under `dir`. */
function cephConf(
  { dir, fsid, monPort, rgwPort, memstoreBytes }: {
    dir: string;
    fsid: string;
    monPort: number;
    rgwPort: number;
    memstoreBytes: number;
  },
): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
paxos propose interval = 0.1
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
mon cluster log file = ${dir}/log/cluster.log
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
keyring = ${dir}/keyring

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
`;
}

/** `PUT /<bucket>`, signed with SigV4 for service `s3`. */
async function createBucket(
  url: URL,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<void> {
  const signer = new SignatureV4({
    credentials,
    region: REGION,
    service: "s3",
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: false,
  });
  const body = new Uint8Array(0);
  const signed = await signer.sign({
    method: "PUT",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers: { host: url.host, "content-length": "0" },
    body,
  });
  const { host: _host, ...headers } = signed.headers;
  const response = await fetch(url, { method: "PUT", headers, body });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`CreateBucket ${url.pathname}: ${response.status} ${text}`);
  }
}

/** The last lines of each daemon's output, for a start-up error. */
async function logTails(dir: string): Promise<string> {
  let text = "";
  try {
    for await (const entry of Deno.readDir(`${dir}/log`)) {
      const lines = (await Deno.readTextFile(`${dir}/log/${entry.name}`)).trimEnd().split("\n");
      text += `\n--- ${entry.name} (last lines):\n${lines.slice(-15).join("\n")}`;
    }
  } catch { /* no logs yet */ }
  return text;
}
