// The module as outsiders import it: a copy of the repository in a temporary
// directory, and scripts outside it that import the public entry points by relative
// path, absolute path, file:// URL and http:// URL, run by `deno run` with no config,
// no import map and the least permissions — none at all to import, only read and
// write on the data directory to use BackupFS over the embedded store.

import { fileURLToPath, pathToFileURL } from "node:url";
import { assert, assertEquals } from "../support/assert.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** What a user copies or fetches: the module's files (tests and benchmarks are not needed). */
const MODULE_PARTS = ["mod.ts", "deno.json", "LICENSE", "src", "webdav", "deps"];
/** Every entry point `deno.json` exports, as paths relative to the repository. */
const ENTRY_POINTS: string[] = Object.values(
  JSON.parse(await Deno.readTextFile(`${REPO}deno.json`)).exports as Record<string, string>,
).map((path) => path.replace(/^\.\//, ""));

async function copyModule(): Promise<{ root: string; module: string; user: string }> {
  const root = await Deno.makeTempDir({ prefix: "backupfs-import-" });
  const module = `${root}/backupfs`;
  const user = `${root}/user`;
  await Deno.mkdir(module);
  await Deno.mkdir(user);
  for (const part of MODULE_PARTS) {
    const copied = await new Deno.Command("cp", {
      args: ["-r", `${REPO}${part}`, `${module}/`],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert(copied.success, `cp ${part}: ${new TextDecoder().decode(copied.stderr)}`);
  }
  return { root, module, user };
}

/** Runs `deno run --no-prompt FLAGS script` in `cwd` with a clean environment. */
async function denoRun(
  cwd: string,
  flags: string[],
  script: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "" };
  // Where Deno's cache is and how this machine reaches the npm registry (its proxy and the
  // certificates it trusts) pass through; nothing that configures the module does.
  const passed = ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "NPM_CONFIG_REGISTRY", "DENO_CERT"];
  passed.push("DENO_TLS_CA_STORE", "NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY");
  passed.push("https_proxy", "http_proxy", "no_proxy");
  for (const name of passed) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, script, ...args],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("module: every entry point imports by relative path, absolute path and file:// URL with no config and no permission", async () => {
  const { root, module, user } = await copyModule();
  try {
    const specifiers = ENTRY_POINTS.flatMap((entry) => [
      `../backupfs/${entry}`,
      `${module}/${entry}`,
      pathToFileURL(`${module}/${entry}`).href,
    ]);
    const script = specifiers.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`)
      .join("\n") +
      `\nconsole.log([${
        specifiers.map((_, i) => `Object.keys(m${i}).length`).join(", ")
      }].join(" "));\n`;
    await Deno.writeTextFile(`${user}/import_all.ts`, script);
    const result = await denoRun(user, [], "import_all.ts");
    assertEquals(result.code, 0, result.stderr);
    const counts = result.stdout.trim().split(" ").map(Number);
    assertEquals(counts.length, specifiers.length);
    assert(counts.every((n) => n > 0), `an entry point exported nothing: ${result.stdout}`);
    // mod.ts exports the most; BackupFS, EmbeddedStore and the app are among them.
    const check = `import { BackupFS, BackupStorageClient, createWebDavApp, EmbeddedStore } ` +
      `from "../backupfs/mod.ts";\nconsole.log([BackupFS, BackupStorageClient, createWebDavApp, ` +
      `EmbeddedStore].map((f) => typeof f).join(","));\n`;
    await Deno.writeTextFile(`${user}/names.ts`, check);
    const names = await denoRun(user, [], "names.ts");
    assertEquals(names.code, 0, names.stderr);
    assertEquals(names.stdout.trim(), "function,function,function,function");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("module: BackupFS over the embedded store runs with read and write on its data directory only", async () => {
  const { root, user } = await copyModule();
  const data = `${root}/data`;
  try {
    await Deno.writeTextFile(
      `${user}/use.ts`,
      `import { BackupFS, EmbeddedStore } from "../backupfs/mod.ts";
const dir = Deno.args[0];
await using store = await EmbeddedStore.open(dir);
const fs = new BackupFS(store, { jobId: "home" });
await fs.mkdir("/docs");
await fs.writeTextFile("/docs/a.txt", "hello from outside");
const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
await fs.writeFile("/docs/big.bin", big);
const back = await fs.readFile("/docs/big.bin");
console.log(await fs.readTextFile("/docs/a.txt"), back.every((b, i) => b === big[i]));
`,
    );
    const result = await denoRun(
      user,
      [`--allow-read=${data}`, `--allow-write=${data}`],
      "use.ts",
      [data],
    );
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout.trim(), "hello from outside true");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("module: mod.ts imports by http:// URL (a served copy) with no config", async () => {
  const { root, module, user } = await copyModule();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      return new Response(await Deno.readFile(`${module}${path}`), {
        headers: { "content-type": "application/typescript; charset=utf-8" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const origin = `http://127.0.0.1:${server.addr.port}`;
    await Deno.writeTextFile(
      `${user}/remote.ts`,
      `import { BackupFS, EmbeddedStore } from "${origin}/mod.ts";\n` +
        `console.log(typeof BackupFS, typeof EmbeddedStore);\n`,
    );
    const result = await denoRun(
      user,
      [`--allow-import=127.0.0.1:${server.addr.port}`],
      "remote.ts",
    );
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stdout.trim(), "function function");
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
