// Apache httpd (Debian `apache2`) as a reverse proxy in front of a server under
// test: run in the foreground as a child with its own ServerRoot, PidFile and
// ErrorLog in a temp dir, on a port of its own, loading mod_proxy and
// mod_proxy_http, forwarding one path. Run as root (as CI does), it serves as
// www-data (Apache refuses to serve as root). Without apache2 it fails, naming
// the package.

import { requireTool, waitFor } from "../clients/support/client_tools.ts";
import { freePort } from "./serve_process.ts";

/** Where Debian keeps Apache's loadable modules. */
const MODULES = "/usr/lib/apache2/modules";

/** Options of {@link startApacheProxy}. */
export interface ApacheProxyOptions {
  /** The backend's origin, `http://127.0.0.1:PORT`. */
  backend: string;
  /** The path forwarded, the same on both sides (`/dav/`). */
  path: string;
  /**
   * `ProxyPreserveHost On` (default true): the backend sees the client's Host.
   * Off: it sees its own address, and the client's host only in X-Forwarded-Host.
   */
  preserveHost?: boolean;
  /** Sets `X-Forwarded-Proto` to this on every forwarded request. */
  forwardedProto?: string;
}

/** A running Apache reverse proxy. */
export interface ApacheProxy {
  /** `http://127.0.0.1:PORT` of the proxy. */
  origin: string;
  /** The proxy's URL of the forwarded path (`origin + path`). */
  base: string;
  /** The proxy's error log so far. */
  errorLog(): Promise<string>;
  /** Stops Apache (SIGTERM, then SIGKILL) and removes its directory. */
  close(): Promise<void>;
}

function config(dir: string, port: number, options: ApacheProxyOptions): string {
  const target = `${options.backend}${options.path}`;
  const root = Deno.uid() === 0;
  return [
    `ServerRoot "${dir}"`,
    `DefaultRuntimeDir "${dir}"`,
    `PidFile "${dir}/httpd.pid"`,
    `ErrorLog "${dir}/error.log"`,
    "LogLevel warn",
    `ServerName 127.0.0.1:${port}`,
    `Listen 127.0.0.1:${port}`,
    `LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so`,
    `LoadModule authz_core_module ${MODULES}/mod_authz_core.so`,
    `LoadModule headers_module ${MODULES}/mod_headers.so`,
    `LoadModule proxy_module ${MODULES}/mod_proxy.so`,
    `LoadModule proxy_http_module ${MODULES}/mod_proxy_http.so`,
    // Apache will not serve as root: its children take an unprivileged user.
    ...(root ? ["User www-data", "Group www-data"] : []),
    "StartServers 1",
    "ServerLimit 1",
    "ThreadsPerChild 32",
    "MaxRequestWorkers 32",
    "Timeout 300",
    "KeepAlive On",
    "AllowEncodedSlashes NoDecode",
    "ProxyRequests Off",
    `ProxyPreserveHost ${options.preserveHost === false ? "Off" : "On"}`,
    "ProxyTimeout 300",
    ...(options.forwardedProto
      ? [`RequestHeader set X-Forwarded-Proto "${options.forwardedProto}"`]
      : []),
    // nocanon: the request path goes on as the client sent it (percent-escapes kept).
    `ProxyPass "${options.path}" "${target}" nocanon`,
    `ProxyPassReverse "${options.path}" "${target}"`,
    "",
  ].join("\n");
}

async function accepting(port: number): Promise<boolean> {
  try {
    const connection = await Deno.connect({ hostname: "127.0.0.1", port });
    connection.close();
    return true;
  } catch {
    return false;
  }
}

/** Starts Apache as a reverse proxy of `options.path` to the backend; resolves once it accepts. */
export async function startApacheProxy(options: ApacheProxyOptions): Promise<ApacheProxy> {
  const apache = await requireTool(["/usr/sbin/apache2", "/usr/sbin/httpd"], "apache2");
  const dir = await Deno.makeTempDir({ prefix: "backupfs-apache-" });
  // The children (www-data when started as root) read nothing here, but may need the runtime dir.
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  const conf = `${dir}/httpd.conf`;
  await Deno.writeTextFile(conf, config(dir, port, options));
  const child = new Deno.Command(apache, {
    args: ["-DFOREGROUND", "-f", conf],
    env: { APACHE_RUN_DIR: dir, APACHE_LOCK_DIR: dir, APACHE_LOG_DIR: dir },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const errorLog = async () => {
    try {
      return await Deno.readTextFile(`${dir}/error.log`);
    } catch {
      return "";
    }
  };
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }, 10_000);
        await status;
        clearTimeout(timer);
      }
      await output;
      await Deno.remove(dir, { recursive: true });
    })();
  try {
    const ready = await waitFor(async () => exited || await accepting(port), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    if (!ready) throw new Error("not accepting connections after 30 s");
    if (exited) throw new Error(`apache2 exited (${(await status).code})`);
  } catch (error) {
    const log = await errorLog();
    const [out, err] = exited ? await output : ["", ""];
    await close();
    throw new Error(
      `apache2 did not start: ${(error as Error).message}\n${out}${err}\n--- error.log\n${log}`,
    );
  }
  const origin = `http://127.0.0.1:${port}`;
  return { origin, base: `${origin}${options.path}`, errorLog, close };
}
