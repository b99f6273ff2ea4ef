// The backupfs file tools as child processes: a tree (nested folders, an empty file,
// an empty folder, a multi-chunk file, odd names) goes in with put -r and comes back
// byte for byte with get -r (times and modes kept); ls, ls -l, ls -R, du, du -s, cat
// and rm behave; an existing destination needs --force; stdin and stdout work; the
// same round trip through a `backupfs storage` endpoint.

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../support/assert.ts";
import { runBackupfs, storageClientEnv, whileServing } from "./support/backupfs_process.ts";
import { randomBytes } from "./support/store_fixture.ts";

const BIG = randomBytes(9 * 1024 * 1024 + 123, 11); // 3 chunks of the default 4 MiB
const ODD_NAMES = [
  "space name.txt",
  "ünïcödé ✓.txt",
  "#hash%25percent?.txt",
  "-leading-dash",
  "new\nline",
  "back\\slash",
  `quote'"`,
];

/** The local tree: relative path → bytes, or null for a directory. */
function tree(): Map<string, Uint8Array | null> {
  const files = new Map<string, Uint8Array | null>([
    ["a.txt", new TextEncoder().encode("hello\n")],
    ["empty", new Uint8Array()],
    ["empty-dir", null],
    ["nested", null],
    ["nested/deeper", null],
    ["nested/deeper/deepest", null],
    ["nested/deeper/deepest/file.bin", randomBytes(70_000, 12)],
    ["big.bin", BIG],
  ]);
  ODD_NAMES.forEach((name, i) => files.set(name, new TextEncoder().encode(`odd ${i}`)));
  return files;
}

async function writeTree(root: string, files: Map<string, Uint8Array | null>): Promise<void> {
  await Deno.mkdir(root);
  for (const [path, bytes] of files) {
    if (bytes === null) await Deno.mkdir(join(root, path));
    else await Deno.writeFile(join(root, path), bytes);
  }
}

/** Every entry under `root`: relative path → bytes (null for a directory), and file mtimes. */
async function readTree(
  root: string,
): Promise<{ entries: Map<string, Uint8Array | null>; mtimes: Map<string, number> }> {
  const entries = new Map<string, Uint8Array | null>();
  const mtimes = new Map<string, number>();
  async function visit(dir: string, prefix: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const relative = prefix + entry.name;
      const info = await Deno.lstat(path);
      assert(!info.isSymlink, `${relative} is a symlink`);
      if (info.isDirectory) {
        entries.set(relative, null);
        await visit(path, `${relative}/`);
      } else {
        entries.set(relative, await Deno.readFile(path));
        mtimes.set(relative, info.mtime!.getTime());
      }
    }
  }
  await visit(root, "");
  return { entries, mtimes };
}

function sorted<T>(map: Map<string, T>): [string, T][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function withDirs(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "backupfs-tools-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("file tools: put -r then get -r round-trips a tree byte for byte", async () => {
  await withDirs(async (dir) => {
    const data = ["--data", join(dir, "data")];
    const src = join(dir, "src");
    await writeTree(src, tree());
    const put = await runBackupfs(["put", "-r", ...data, src, "/backup"]);
    assertEquals(put.code, 0, put.stderr);
    assertEquals(put.stdout + put.stderr, ""); // quiet when stderr is not a terminal
    const get = await runBackupfs(["get", "-r", ...data, "/backup", join(dir, "out")]);
    assertEquals(get.code, 0, get.stderr);
    const original = await readTree(src);
    const copy = await readTree(join(dir, "out"));
    assertEquals(sorted(copy.entries), sorted(original.entries));
    assertEquals(sorted(copy.mtimes), sorted(original.mtimes)); // ms precision both ways
    // Into an existing directory: under the remote's name, as cp does.
    const into = await runBackupfs(["get", ...data, "/backup/big.bin", dir]);
    assertEquals(into.code, 0, into.stderr);
    assertEquals(await Deno.readFile(join(dir, "big.bin")), BIG);
  });
});

Deno.test("file tools: ls, ls -l, ls -R, du, du -s and cat", async () => {
  await withDirs(async (dir) => {
    const data = ["--data", join(dir, "data")];
    const src = join(dir, "src");
    await writeTree(src, tree());
    assertEquals((await runBackupfs(["put", "-r", ...data, src, "/backup"])).code, 0);

    const ls = await runBackupfs(["ls", ...data, "/backup"]);
    assertEquals(ls.code, 0, ls.stderr);
    assertEquals(ls.stdout.split("\n").slice(0, -1), [
      "#hash%25percent?.txt",
      "-leading-dash",
      "a.txt",
      "back\\\\slash",
      "big.bin",
      "empty",
      "empty-dir/",
      "nested/",
      "new\\x0aline",
      `quote'"`,
      "space name.txt",
      "ünïcödé ✓.txt",
    ]);
    const root = await runBackupfs(["ls", ...data]);
    assertEquals(root.stdout, "backup/\n");

    const long = await runBackupfs(["ls", "-l", ...data, "/backup/a.txt"]);
    const mtime = (await Deno.stat(join(src, "a.txt"))).mtime!.toISOString().slice(0, 19);
    assertEquals(long.stdout, `-rw-r--r--            6  ${mtime}Z  a.txt\n`);

    const recursive = await runBackupfs(["ls", "-R", ...data, "/backup/nested"]);
    assertEquals(recursive.stdout, "deeper/\ndeeper/deepest/\ndeeper/deepest/file.bin\n");

    const total = 6 + BIG.length + 70_000 +
      ODD_NAMES.reduce((n, _, i) => n + `odd ${i}`.length, 0);
    const summary = await runBackupfs(["du", "-s", ...data, "/backup"]);
    assertEquals(summary.stdout, `${total}\t/backup\n`);
    const du = await runBackupfs(["du", ...data, "/backup"]);
    assertEquals(du.stdout.split("\n").slice(0, -1), [
      "0\t/backup/empty-dir",
      "70000\t/backup/nested/deeper/deepest",
      "70000\t/backup/nested/deeper",
      "70000\t/backup/nested",
      `${total}\t/backup`,
    ]);

    const cat = await runBackupfs(["cat", ...data, "/backup/big.bin"]);
    assertEquals(cat.code, 0, cat.stderr);
    assertEquals(cat.stdoutBytes, BIG);
    const catDir = await runBackupfs(["cat", ...data, "/backup/nested"]);
    assertEquals(catDir.code, 1);
    assertMatch(catDir.stderr, /^backupfs cat: .*'\/backup\/nested'/);
    const missing = await runBackupfs(["ls", ...data, "/nope"]);
    assertEquals(missing.code, 1);
    assertEquals(missing.stderr, "backupfs ls: no such file or directory: stat '/nope'\n");
    const usage = await runBackupfs(["ls", "--bogus"]);
    assertEquals(usage.code, 2);
    assertEquals(usage.stderr, "backupfs ls: unknown option '--bogus' (try --help)\n");
  });
});

Deno.test("file tools: --force to replace, stdin and stdout, rm", async () => {
  await withDirs(async (dir) => {
    const data = ["--data", join(dir, "data")];
    const one = join(dir, "one.txt");
    await Deno.writeTextFile(one, "first");
    assertEquals((await runBackupfs(["put", ...data, one, "/one.txt"])).code, 0);
    await Deno.writeTextFile(one, "second");
    const refused = await runBackupfs(["put", ...data, one, "/one.txt"]);
    assertEquals(refused.code, 1);
    assertEquals(
      refused.stderr,
      "backupfs put: /one.txt already exists (use --force to replace it)\n",
    );
    assertEquals((await runBackupfs(["cat", ...data, "/one.txt"])).stdout, "first");
    assertEquals((await runBackupfs(["put", "--force", ...data, one, "/one.txt"])).code, 0);
    assertEquals((await runBackupfs(["cat", ...data, "/one.txt"])).stdout, "second");
    const noParent = await runBackupfs(["put", ...data, one, "/no/such/dir.txt"]);
    assertEquals(noParent.code, 1);
    assertEquals(noParent.stderr, "backupfs put: no such directory: /no/such\n");

    const stdin = new TextEncoder().encode("from stdin\n");
    const piped = await runBackupfs(["put", ...data, "-", "/piped.txt"], { stdin });
    assertEquals(piped.code, 0, piped.stderr);
    const out = await runBackupfs(["get", ...data, "/piped.txt", "-"]);
    assertEquals(out.stdoutBytes, stdin);

    const local = join(dir, "local.txt");
    await Deno.writeTextFile(local, "mine");
    const overwrite = await runBackupfs(["get", ...data, "/one.txt", local]);
    assertEquals(overwrite.code, 1);
    assertEquals(await Deno.readTextFile(local), "mine");
    assertEquals((await runBackupfs(["get", "-f", ...data, "/one.txt", local])).code, 0);
    assertEquals(await Deno.readTextFile(local), "second");

    await Deno.mkdir(join(dir, "tree/sub"), { recursive: true });
    await Deno.writeTextFile(join(dir, "tree/sub/x.txt"), "x");
    assertEquals((await runBackupfs(["put", "-r", ...data, join(dir, "tree"), "/"])).code, 0);
    const dirWithoutR = await runBackupfs(["rm", ...data, "/tree"]);
    assertEquals(dirWithoutR.code, 1);
    assertEquals(
      dirWithoutR.stderr,
      "backupfs rm: /tree is a directory (use -r to remove it and its contents)\n",
    );
    assertEquals((await runBackupfs(["rm", ...data, "/one.txt"])).code, 0);
    assertEquals((await runBackupfs(["rm", "-r", ...data, "/tree"])).code, 0);
    assertEquals((await runBackupfs(["ls", ...data, "/"])).stdout, "piped.txt\n");
    assertEquals((await runBackupfs(["rm", ...data, "/one.txt"])).code, 1);
    assertEquals((await runBackupfs(["rm", "-r", ...data, "/"])).code, 2);
  });
});

Deno.test("file tools: the same round trip through a backupfs storage endpoint", async () => {
  await withDirs(async (dir) => {
    const dataDir = join(dir, "data");
    await whileServing("storage", dataDir, async (storage) => {
      const env = storageClientEnv(dataDir);
      const target = ["--endpoint", storage.origin, "--job", "remote-job"];
      const src = join(dir, "src");
      const files = new Map([...tree()].filter(([path]) => path !== "big.bin"));
      await writeTree(src, files);
      const put = await runBackupfs(["put", "-r", ...target, src, "/"], { env });
      assertEquals(put.code, 0, put.stderr);
      const get = await runBackupfs(["get", "-r", ...target, "/src", join(dir, "out")], { env });
      assertEquals(get.code, 0, get.stderr);
      assertEquals(sorted((await readTree(join(dir, "out"))).entries), sorted(files));
      // The same job read on the data directory.
      const ls = await runBackupfs(["ls", "--data", dataDir, "--job", "remote-job"]);
      assertEquals(ls.stdout, "src/\n");
    });
  });
});
