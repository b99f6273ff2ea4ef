// The browser's file manager in headless Chromium (Debian `chromium`, through
// playwright-core in browser_driver.ts, a `deno run -A` process of its own — see
// why there): uploads of several files (one of 3 MiB, with its progress bar) and
// a drop, a new folder, rename (and a declined overwrite), delete (confirmed and
// declined), a delete refused by a lock, a download, sorting; a read-only server;
// Basic authentication; a page of another origin. Every result is checked in the
// store, not only on the page. A screenshot of the file manager is kept: in
// $BACKUPFS_SCREENSHOT_DIR if set, else in test-artifacts/browser/.

import type {
  AuthReport,
  AuthRequest,
  CrossOriginReport,
  CrossOriginRequest,
  ManageReport,
  ManageRequest,
  ReadOnlyReport,
  ReadOnlyRequest,
} from "./support/browser_scenarios.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { startDav } from "../support/dav_server.ts";
import { decodePng, inkPixels } from "./support/png.ts";
import { patternBytes, requireTool, runOk, tempDir } from "./support/client_tools.ts";
import { createBasicAuth } from "../../../webdav/mod.ts";
import { serveHttp } from "../../../src/http/mod.ts";

const DRIVER = new URL("./support/browser_driver.ts", import.meta.url).pathname;
const REPO_ROOT = new URL("../../../", import.meta.url).pathname;

async function runDriver<T>(request: unknown): Promise<T> {
  const result = await runOk(Deno.execPath(), {
    args: ["run", "-A", DRIVER, JSON.stringify(request)],
    cwd: REPO_ROOT,
    timeoutMs: 300_000,
  });
  return JSON.parse(result.stdout) as T;
}

/** Where the screenshot is kept: $BACKUPFS_SCREENSHOT_DIR, else test-artifacts/browser/. */
async function screenshotPath(name: string): Promise<string> {
  const dir = Deno.env.get("BACKUPFS_SCREENSHOT_DIR") || `${REPO_ROOT}test-artifacts/browser`;
  await Deno.mkdir(dir, { recursive: true });
  return `${dir}/${name}`;
}

const LOCKINFO = `<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">` +
  `<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>` +
  `<D:owner>another client</D:owner></D:lockinfo>`;

Deno.test("file manager: upload (picker and drop, progress), new folder, rename, delete, locked, download, sort — checked in the store", async () => {
  await requireTool(["/usr/bin/chromium"], "chromium");
  const dav = await startDav({ prefix: "/files/" }, { chunkSize: 1024 * 1024 });
  await using work = await tempDir("backupfs-file-manager-");
  try {
    const dir = "/docs & more #1";
    await dav.fs.mkdir(dir);
    const existing: Record<string, string> = {
      "keep me.txt": "keep me\n",
      "to rename.txt": "renamed content\n",
      "locked.txt": "locked content\n",
      "delete me.txt": "bye\n",
      "existing target.txt": "the target stays\n",
      "replace me.txt": "old content\n",
      "overwriter.txt": "the overwriter's content\n",
      "overwritten.txt": "overwritten soon\n",
    };
    for (const [name, text] of Object.entries(existing)) {
      await dav.fs.writeTextFile(`${dir}/${name}`, text);
    }
    await dav.fs.mkdir(`${dir}/gone soon`);
    const downloadName = "download ✓ #1.bin";
    const downloadBytes = patternBytes(5000, 7);
    await dav.fs.writeFile(`${dir}/${downloadName}`, downloadBytes);
    const url = `${dav.base}${encodeURIComponent(dir.slice(1))}/`;
    const lock = await fetch(`${url}locked.txt`, {
      method: "LOCK",
      headers: { "Content-Type": "application/xml", Timeout: "Second-600" },
      body: LOCKINFO,
    });
    await lock.body?.cancel();
    assertEquals(lock.status, 200);

    const uploads: Record<string, Uint8Array> = {
      "big 3MiB.bin": patternBytes(3 * 1024 * 1024, 3),
      'a & b <c> "q".txt': new TextEncoder().encode("ampersand, angle brackets, quotes\n"),
      "100% #1 ünï.txt": new TextEncoder().encode("percent, hash, unicode ✓\n"),
    };
    const uploadPaths: string[] = [];
    for (const [name, bytes] of Object.entries(uploads)) {
      const path = `${work.path}/${name}`;
      await Deno.writeFile(path, bytes);
      uploadPaths.push(path);
    }
    const replaceUpload = `${work.path}/replace me.txt`;
    await Deno.writeTextFile(replaceUpload, "new content\n");
    const shot = await screenshotPath("file-manager.png");
    const request: ManageRequest = {
      scenario: "manage",
      url,
      uploads: uploadPaths,
      drop: { name: "dropped ✓.txt", text: "dropped onto the page\n" },
      screenshotPath: shot,
      folder: "New & <folder> #1 ✓",
      rename: { from: "to rename.txt", to: 'renamed "ü" & <1> 100% #2.txt' },
      renameOntoExisting: { from: "keep me.txt", to: "existing target.txt" },
      remove: "delete me.txt",
      keep: "keep me.txt",
      locked: "locked.txt",
      download: downloadName,
      replaceUpload,
      renameOverwriting: { from: "overwriter.txt", to: "overwritten.txt" },
      goneFolder: "gone soon",
    };
    const report = await runDriver<ManageReport>(request);
    console.log(`file manager screenshot: ${shot}`);

    // Uploads: in the store with their bytes; each had its progress bar, and the
    // big one's XMLHttpRequest upload progress reached its size.
    for (const [name, bytes] of Object.entries(uploads)) {
      assertEquals(await dav.fs.readFile(`${dir}/${name}`), bytes, name);
    }
    assertEquals(await dav.fs.readTextFile(`${dir}/dropped ✓.txt`), request.drop.text);
    assertEquals(
      report.uploads.map((u) => u.name).sort(),
      [
        ...Object.keys(uploads),
        request.drop.name,
      ].sort(),
    );
    for (const upload of report.uploads) {
      assertEquals(upload.className, "done", `${upload.name}: ${upload.state}`);
      assertEquals(upload.value, upload.max, upload.name);
    }
    const big = report.uploads.find((u) => u.name === "big 3MiB.bin")!;
    assertEquals(big.max, 3 * 1024 * 1024);
    assertEquals(big.sent, String(3 * 1024 * 1024));
    for (const name of Object.keys(uploads)) assert(report.rowsAfterUpload.includes(name), name);

    // New folder, rename, the declined overwrite, deletes.
    assert((await dav.fs.stat(`${dir}/${request.folder}`)).isDirectory);
    assert(!(await dav.fs.exists(`${dir}/to rename.txt`)));
    assertEquals(await dav.fs.readTextFile(`${dir}/${request.rename.to}`), "renamed content\n");
    assertEquals(await dav.fs.readTextFile(`${dir}/keep me.txt`), "keep me\n");
    assertEquals(await dav.fs.readTextFile(`${dir}/existing target.txt`), "the target stays\n");
    assert(/already exists/.test(report.renameConflictStatus), report.renameConflictStatus);
    assert(!(await dav.fs.exists(`${dir}/delete me.txt`)));
    assertEquals(await dav.fs.readTextFile(`${dir}/locked.txt`), "locked content\n");
    assert(/locked/i.test(report.lockedStatus), report.lockedStatus);
    assert(report.lockedStatus.includes("423"), report.lockedStatus);

    // Replacing upload and overwriting rename: asked, answered yes, done.
    assertEquals(report.replaceDialogs.map((line) => line.split(":")[0]), [
      "confirm",
      "prompt",
      "confirm",
    ]);
    assert(report.replaceDialogs[0]!.includes("replace me.txt"), report.replaceDialogs[0]);
    assertEquals(await dav.fs.readTextFile(`${dir}/replace me.txt`), "new content\n");
    assert(!(await dav.fs.exists(`${dir}/overwriter.txt`)));
    assertEquals(await dav.fs.readTextFile(`${dir}/overwritten.txt`), "the overwriter's content\n");

    // The folder deleted behind the page's back: the page says why MKCOL failed.
    assert(!(await dav.fs.exists(`${dir}/${request.goneFolder}`)));
    assert(/folder does not exist/.test(report.goneFolderStatus), report.goneFolderStatus);
    assert(report.goneFolderStatus.includes("409"), report.goneFolderStatus);

    // The download's bytes.
    assertEquals(report.downloaded.suggestedName, downloadName);
    const downloaded = Uint8Array.from(atob(report.downloaded.base64), (c) => c.charCodeAt(0));
    assertEquals(downloaded, downloadBytes);

    // Sorting: folders first; files by size, then reversed; by name.
    const sizes = new Map<string, number>();
    const directories = new Set<string>();
    for await (const entry of dav.fs.readDir(dir)) {
      const info = await dav.fs.stat(`${dir}/${entry.name}`);
      if (info.isDirectory) directories.add(entry.name);
      else sizes.set(entry.name, info.size);
    }
    directories.add(request.goneFolder); // deleted by the last step, there until then
    assertEquals(report.sizeHeaderSort, "ascending");
    const filesAscending = report.sortedBySizeAscending.filter((n) => !directories.has(n));
    assertEquals(
      report.sortedBySizeAscending.slice(0, directories.size).sort(),
      [
        ...directories,
      ].sort(),
    );
    for (let i = 1; i < filesAscending.length; i++) {
      assert(
        sizes.get(filesAscending[i - 1]!)! <= sizes.get(filesAscending[i]!)!,
        `not by size: ${filesAscending.join(" | ")}`,
      );
    }
    assertEquals(
      report.sortedBySizeDescending.filter((n) => !directories.has(n)),
      [...filesAscending].reverse(),
    );
    assertEquals(filesAscending[filesAscending.length - 1], "big 3MiB.bin");
    const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
    const byName = report.sortedByName.filter((n) => !directories.has(n));
    assertEquals(byName, [...byName].sort(collator.compare));

    // A fresh load listed exactly what the store had (the folder deleted after it).
    assertEquals(report.finalRows.sort(), [...directories, ...sizes.keys()].sort());
    assertEquals(
      report.console.filter((line) => /Content Security Policy|Refused/i.test(line)),
      [],
    );

    // The screenshot: a valid PNG with ink (text, bars) and not all ink.
    const image = decodePng(await Deno.readFile(shot));
    const all = { x: 0, y: 0, width: image.width, height: image.height };
    const ink = inkPixels(image, all);
    assert(ink > 2_000, `ink ${ink}`);
    assert(ink < image.width * image.height / 2, `ink ${ink}`);
  } finally {
    await dav.close();
  }
});

Deno.test("file manager: a read-only server's page has no edit controls, and a forced PUT is refused 403", async () => {
  await requireTool(["/usr/bin/chromium"], "chromium");
  const dav = await startDav({ readOnly: true });
  try {
    await dav.fs.writeTextFile("/one.txt", "one");
    await dav.fs.mkdir("/folder");
    const report = await runDriver<ReadOnlyReport>(
      { scenario: "read-only", url: dav.base, put: "forced.txt" } satisfies ReadOnlyRequest,
    );
    assertEquals(report.tools, 0);
    assertEquals(report.uploadInputs, 0);
    assertEquals(report.renameButtons, 0);
    assertEquals(report.deleteButtons, 0);
    assertEquals(report.downloadLinks, 1);
    assertEquals(report.rows.sort(), ["folder", "one.txt"]);
    assertEquals(report.badge, "read-only");
    assertEquals(report.put.status, 403);
    assert(/read-only/.test(report.put.text), report.put.text);
    assert(!(await dav.fs.exists("/forced.txt")));
  } finally {
    await dav.close();
  }
});

Deno.test("file manager: behind Basic authentication (playwright httpCredentials) uploads and creates folders", async () => {
  await requireTool(["/usr/bin/chromium"], "chromium");
  const dav = await startDav({ authenticate: createBasicAuth({ alice: "s3cret & pass:word" }) });
  await using work = await tempDir("backupfs-file-manager-auth-");
  try {
    const upload = `${work.path}/report.txt`;
    await Deno.writeTextFile(upload, "uploaded with credentials\n");
    const report = await runDriver<AuthReport>(
      {
        scenario: "auth",
        url: dav.base,
        username: "alice",
        password: "s3cret & pass:word",
        upload,
        folder: "alice's folder",
      } satisfies AuthRequest,
    );
    assertEquals(report.anonymousStatus, 401);
    assertEquals(report.status, 200);
    assertEquals(report.upload.className, "done", report.upload.state);
    assertEquals(await dav.fs.readTextFile("/report.txt"), "uploaded with credentials\n");
    assert((await dav.fs.stat("/alice's folder")).isDirectory);
    assertEquals(report.rows.sort(), ["alice's folder", "report.txt"]);
  } finally {
    await dav.close();
  }
});

Deno.test("file manager: a page of another origin (another port) cannot PUT on the server", async () => {
  await requireTool(["/usr/bin/chromium"], "chromium");
  const dav = await startDav();
  const attacker = await serveHttp(
    () =>
      new Response("<!DOCTYPE html><title>elsewhere</title><p>another site", {
        headers: { "Content-Type": "text/html; charset=utf-8" },
      }),
    { hostname: "127.0.0.1", port: 0 },
  );
  try {
    const report = await runDriver<CrossOriginReport>(
      {
        scenario: "cross-origin",
        attackerUrl: `http://127.0.0.1:${attacker.addr.port}/`,
        target: `${dav.base}evil.txt`,
      } satisfies CrossOriginRequest,
    );
    assert(report.put.startsWith("failed"), report.put);
    assert(!(await dav.fs.exists("/evil.txt")), "the cross-origin PUT wrote the file");
    // The same request as the browser would send it, straight to the server: refused.
    const direct = await dav.request("/evil.txt", {
      method: "PUT",
      headers: { Origin: `http://127.0.0.1:${attacker.addr.port}` },
      body: "evil",
    });
    assertEquals(direct.status, 403);
    await direct.body?.cancel();
    assert(!(await dav.fs.exists("/evil.txt")));
  } finally {
    await attacker.shutdown();
    await dav.close();
  }
});
