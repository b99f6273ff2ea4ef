// The HTML listing of a collection as headless Chromium (Debian `chromium`) renders
// it, driven by playwright-core with `executablePath` (no browser is downloaded):
// the DOM lists the entries with their sizes, the links open the files and the
// sub-collection, the page's script runs under its Content-Security-Policy without
// a violation, and a screenshot is a valid PNG with ink where each entry is. The
// file manager's editing is tested in file_manager_test.ts.
// Without chromium the test fails, naming the package. Set BACKUPFS_SCREENSHOT_DIR
// to keep the screenshot.
//
// playwright-core runs in browser_driver.ts, a `deno run -A` process of its own: on
// import it reads /proc, which Deno allows only with --allow-all, and the suite runs
// with scoped permissions. The driver reports what it saw; this test checks it.

import type { DriverReport, DriverRequest } from "./support/browser_driver.ts";
import { assert, assertEquals } from "../../support/assert.ts";
import { startDav } from "../support/dav_server.ts";
import { decodePng, inkPixels } from "./support/png.ts";
import { patternBytes, requireTool, runOk, tempDir } from "./support/client_tools.ts";

const DRIVER = new URL("./support/browser_driver.ts", import.meta.url).pathname;
const REPO_ROOT = new URL("../../../", import.meta.url).pathname;

/** The text files of the listing and their contents. */
const TEXT_FILES: Record<string, string> = {
  "hello.txt": "Hello from BackupFS\n",
  "a & b.txt": "ampersand & co\n",
  "ünïcödé.txt": "ünïcödé content ✓\n",
  "100% sure #1.txt": "percent and hash\n",
};

Deno.test("browser: headless Chromium renders the HTML listing (entries, sizes, working links) and a screenshot of it", async () => {
  await requireTool(["/usr/bin/chromium"], "chromium");
  const dav = await startDav({}, { chunkSize: 1024 * 1024 });
  await using work = await tempDir("backupfs-browser-");
  try {
    await dav.fs.mkdir("/gallery");
    for (const [name, text] of Object.entries(TEXT_FILES)) {
      // A stored type with a charset is what GET sends; without one (a plain
      // `text/plain` from the extension) Chromium would decode UTF-8 as windows-1252.
      await dav.fs.writeTextFile(`/gallery/${name}`, text, {
        contentType: "text/plain; charset=utf-8",
      });
    }
    await dav.fs.writeFile("/gallery/photo data.bin", patternBytes(1536, 1));
    await dav.fs.writeFile("/gallery/big.bin", patternBytes(3 * 1024 * 1024, 2));
    await dav.fs.mkdir("/gallery/sub dir");
    await dav.fs.writeTextFile("/gallery/sub dir/inner.txt", "inside\n");

    const listingUrl = `${dav.base}gallery/`;
    const request: DriverRequest = {
      listingUrl,
      screenshotPath: `${work.path}/listing.png`,
      open: Object.keys(TEXT_FILES),
      collection: "sub dir/",
    };
    const result = await runOk(Deno.execPath(), {
      args: ["run", "-A", DRIVER, JSON.stringify(request)],
      cwd: REPO_ROOT,
      timeoutMs: 180_000,
    });
    const report = JSON.parse(result.stdout) as DriverReport;

    assertEquals(report.status, 200);
    assert(report.contentType?.startsWith("text/html"), report.contentType);
    assertEquals(report.title, "Index of /gallery");
    const byName = new Map(report.rows.map((row) => [row.name, row]));
    assertEquals([...byName.keys()].sort(), [
      "../",
      "100% sure #1.txt",
      "a & b.txt",
      "big.bin",
      "hello.txt",
      "photo data.bin",
      "sub dir/",
      "ünïcödé.txt",
    ]);
    assertEquals(byName.get("hello.txt")!.size, "20 B");
    assertEquals(byName.get("photo data.bin")!.size, "1.5 KiB");
    assertEquals(byName.get("big.bin")!.size, "3.0 MiB");
    assertEquals(byName.get("sub dir/")!.size, "");
    assertEquals(byName.get("a & b.txt")!.href, `${listingUrl}a%20%26%20b.txt`);
    assertEquals(byName.get("100% sure #1.txt")!.href, `${listingUrl}100%25%20sure%20%231.txt`);
    assertEquals(
      byName.get("ünïcödé.txt")!.href,
      `${listingUrl}${encodeURIComponent("ünïcödé.txt")}`,
    );
    assertEquals(byName.get("../")!.href, dav.base);
    const year = String(new Date().getUTCFullYear());
    assert(byName.get("hello.txt")!.modified.includes(year), byName.get("hello.txt")!.modified);

    // The screenshot: a valid PNG of the page, with ink (text) where each entry's
    // link is drawn.
    const png = await Deno.readFile(request.screenshotPath);
    const keep = Deno.env.get("BACKUPFS_SCREENSHOT_DIR");
    if (keep) await Deno.copyFile(request.screenshotPath, `${keep}/backupfs-listing.png`);
    assert(png.length > 5_000, `screenshot of ${png.length} bytes`);
    const image = decodePng(png);
    assertEquals(image.width, report.viewport.width);
    assert(image.height >= report.viewport.height, `height ${image.height}`);
    for (const row of report.rows) {
      assert(row.box, `no box for ${row.name}`);
      assert(inkPixels(image, row.box) > 20, `no ink where ${row.name} is drawn`);
    }
    // The script ran under the page's strict policy: no inline code but its own.
    assert(report.csp?.includes("script-src 'sha256-"), report.csp);
    assert(!report.csp?.includes("unsafe-inline"), report.csp);
    assertEquals(report.console.filter((line) => /Content Security Policy/i.test(line)), []);

    // Without JavaScript: the same rows, sizes and links; no controls.
    assertEquals(
      report.noScript.rows.map((row) => [row.name, row.size, new URL(row.href, listingUrl).href]),
      report.rows.map((row) => [row.name, row.size, row.href]),
    );
    assertEquals(report.noScript.toolsVisible, false);
    assertEquals(report.noScript.buttons, 0);

    // Every text file's link opened its content.
    assertEquals(report.opened.map((o) => o.name), Object.keys(TEXT_FILES));
    for (const opened of report.opened) {
      assertEquals(opened.url, byName.get(opened.name)!.href);
      assertEquals(opened.text.trim(), TEXT_FILES[opened.name]!.trim(), opened.name);
    }
    // The sub-collection's link opened its listing, whose ../ led back.
    assertEquals(report.collection.url, `${listingUrl}sub%20dir/`);
    assertEquals(report.collection.title, "Index of /gallery/sub dir");
    assertEquals(report.collection.links, ["../", "inner.txt"]);
    assertEquals(report.collection.backUrl, listingUrl);
    assertEquals(report.collection.backTitle, "Index of /gallery");
  } finally {
    await dav.close();
  }
});
