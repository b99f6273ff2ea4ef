/**
 * The WebDAV requests of the WebDAV benchmark, made with the `curl` command (the same
 * client for every server): PUT and GET of one file, MKCOL and other requests
 * without a body, many PUTs over a few parallel keep-alive connections from one
 * curl process, PROPFIND.
 *
 * @module
 */

/** What curl reports of one transfer (`--write-out`). */
export interface CurlTransfer {
  /** HTTP status code. */
  status: number;
  /** Bytes of the request body sent. */
  uploaded: number;
  /** Bytes of the response body received. */
  downloaded: number;
  /** Seconds from the start of the transfer to its end, as curl measures it. */
  seconds: number;
  /** New connections curl opened for it. */
  connects: number;
}

const WRITE_OUT = "%{http_code} %{size_upload} %{size_download} %{time_total} %{num_connects}\\n";

function parseTransfer(line: string): CurlTransfer {
  const [status, uploaded, downloaded, seconds, connects] = line.trim().split(" ").map(Number);
  return { status, uploaded, downloaded, seconds, connects };
}

async function curl(args: string[]): Promise<string> {
  const output = await new Deno.Command("curl", {
    args: ["--silent", "--show-error", "--no-progress-meter", "--write-out", WRITE_OUT, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`curl ${args.join(" ")} failed (exit ${output.code}): ${stderr}`);
  }
  return text;
}

/**
 * PUT of a local file (`curl -T file url`).
 *
 * @example
 * ```ts ignore
 * import { curlPut } from "./curl_dav.ts";
 * const transfer = await curlPut("http://127.0.0.1:8080/big.bin", "/tmp/big.bin");
 * console.log(transfer.status); // 201
 * ```
 */
export async function curlPut(url: string, file: string): Promise<CurlTransfer> {
  return parseTransfer(await curl(["--upload-file", file, "--output", "/dev/null", url]));
}

/**
 * GET into /dev/null (`curl -o /dev/null url`).
 *
 * @example
 * ```ts ignore
 * import { curlGet } from "./curl_dav.ts";
 * const transfer = await curlGet("http://127.0.0.1:8080/big.bin");
 * console.log(transfer.downloaded);
 * ```
 */
export async function curlGet(url: string): Promise<CurlTransfer> {
  return parseTransfer(await curl(["--output", "/dev/null", url]));
}

/**
 * MKCOL of a collection (`curl -X MKCOL url/`).
 *
 * @example
 * ```ts ignore
 * import { curlMkcol } from "./curl_dav.ts";
 * console.log((await curlMkcol("http://127.0.0.1:8080/small/")).status); // 201
 * ```
 */
export function curlMkcol(url: string): Promise<CurlTransfer> {
  return curlRequest(url, "MKCOL");
}

/**
 * A request without a body (`curl -X METHOD -H name:value… url`), the answer's body
 * discarded: MKCOL, COPY, MOVE, DELETE…
 *
 * @example
 * ```ts ignore
 * import { curlRequest } from "./curl_dav.ts";
 * const moved = await curlRequest("http://127.0.0.1:8080/a/", "MOVE", {
 *   Destination: "http://127.0.0.1:8080/b/",
 * });
 * console.log(moved.status, moved.seconds); // 201 0.4
 * ```
 */
export async function curlRequest(
  url: string,
  method: string,
  headers: Record<string, string> = {},
): Promise<CurlTransfer> {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => [
    "--header",
    `${name}: ${value}`,
  ]);
  return parseTransfer(
    await curl(["--request", method, ...headerArgs, "--output", "/dev/null", url]),
  );
}

/**
 * PROPFIND with `Depth: 1` and no body (allprop), the multistatus saved to `output`.
 *
 * @example
 * ```ts ignore
 * import { curlPropfind } from "./curl_dav.ts";
 * const transfer = await curlPropfind("http://127.0.0.1:8080/small/", "/tmp/propfind.xml");
 * console.log(transfer.status); // 207
 * ```
 */
export async function curlPropfind(url: string, output: string): Promise<CurlTransfer> {
  return parseTransfer(
    await curl(["--request", "PROPFIND", "--header", "Depth: 1", "--output", output, url]),
  );
}

/** One upload of {@link curlParallel}. */
export interface Upload {
  /** Target URL. */
  url: string;
  /** Local file sent as the body. */
  file: string;
}

function quoted(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * Writes a curl config file with one PUT (`upload-file`) per upload.
 *
 * @example
 * ```ts
 * import { uploadConfig } from "./curl_dav.ts";
 * console.log(uploadConfig([{ url: "http://127.0.0.1/a", file: "/tmp/a" }]).split("\n")[0]); // url = "http://127.0.0.1/a"
 * ```
 */
export function uploadConfig(uploads: Upload[]): string {
  return uploads.map(({ url, file }) =>
    `url = ${quoted(url)}\nupload-file = ${quoted(file)}\noutput = "/dev/null"\n`
  ).join("");
}

/**
 * GETs every URL of `urls` into /dev/null, as a curl config file (`--config`) for
 * {@link curlParallel}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { downloadConfig } from "./curl_dav.ts";
 * assert.equal(downloadConfig(["http://127.0.0.1/a"]), 'url = "http://127.0.0.1/a"\noutput = "/dev/null"\n');
 * ```
 */
export function downloadConfig(urls: string[]): string {
  return urls.map((url) => `url = ${quoted(url)}\noutput = "/dev/null"\n`).join("");
}

/**
 * Runs every transfer listed in the curl config file `config` (see {@link uploadConfig}
 * and {@link downloadConfig}) from ONE curl process with `--parallel --parallel-max
 * <parallel>`: at most that many keep-alive connections, reused from request to
 * request. Returns each transfer.
 *
 * @example
 * ```ts ignore
 * import { curlParallel } from "./curl_dav.ts";
 * const transfers = await curlParallel("/tmp/uploads.conf", { parallel: 4 });
 * console.log(transfers.every((t) => t.status === 201));
 * ```
 */
export async function curlParallel(
  config: string,
  options: { parallel: number },
): Promise<CurlTransfer[]> {
  const text = await curl([
    "--parallel",
    "--parallel-max",
    String(options.parallel),
    "--config",
    config,
  ]);
  return text.split("\n").filter((line) => line.trim() !== "").map(parseTransfer);
}
