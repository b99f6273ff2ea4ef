// Drives headless Chromium (Debian `chromium`, through playwright-core with
// `executablePath`; no browser is ever downloaded) over an HTML listing and prints
// what it saw as JSON, for browser_test.ts to check.
//
// It runs as a process of its own with all permissions (`deno run -A`): on import,
// playwright-core reads /proc (/proc/sys/fs/binfmt_misc/WSLInterop, to detect WSL),
// which Deno allows only with --allow-all, and the test suite runs with scoped
// permissions.
//
// Usage: deno run -A tests/webdav/clients/support/browser_driver.ts REQUEST_JSON
// REQUEST_JSON: { listingUrl, screenshotPath, open: [names of links to click], collection }

import { chromium } from "../../../../deps/playwright_core.ts";

/** What the driver is asked to do. */
export interface DriverRequest {
  /** The collection URL to open. */
  listingUrl: string;
  /** Where to save the screenshot of the listing. */
  screenshotPath: string;
  /** Names of file links to click (text files: their content is read back). */
  open: string[];
  /** Name of a sub-collection link to click (its listing, then its `../`). */
  collection: string;
}

/** A box on the page, in CSS pixels (= screenshot pixels: device scale 1). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What the driver saw. */
export interface DriverReport {
  status: number | undefined;
  contentType: string | undefined;
  title: string;
  rows: { name: string; size: string; modified: string; href: string; box: Box | null }[];
  tableBox: Box | null;
  viewport: { width: number; height: number };
  opened: { name: string; url: string; text: string }[];
  collection: { url: string; title: string; links: string[]; backUrl: string; backTitle: string };
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function drive(request: DriverRequest): Promise<DriverReport> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  try {
    const viewport = { width: 1000, height: 600 };
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    page.setDefaultTimeout(20_000);
    const response = await page.goto(request.listingUrl);
    const title = await page.title();
    const rows: DriverReport["rows"] = [];
    const trs = page.locator("tbody tr");
    const count = await trs.count();
    for (let i = 0; i < count && i < 1000; i++) {
      const [name = "", size = "", modified = ""] = await trs.nth(i).locator("td")
        .allTextContents();
      const link = trs.nth(i).locator("a");
      const href = (await link.getAttribute("href")) ?? "";
      rows.push({
        name,
        size,
        modified,
        href: new URL(href, page.url()).href,
        box: await link.boundingBox(),
      });
    }
    const tableBox = await page.locator("table").boundingBox();
    await page.screenshot({ path: request.screenshotPath, fullPage: true });

    const linkTo = (name: string) => page.locator("tbody tr a").filter({ hasText: name }).first();
    const opened: DriverReport["opened"] = [];
    for (const name of request.open) {
      await page.goto(request.listingUrl);
      const href = new URL((await linkTo(name).getAttribute("href")) ?? "", page.url()).href;
      await Promise.all([page.waitForURL(href), linkTo(name).click()]);
      opened.push({
        name,
        url: page.url(),
        text: await page.evaluate<string>("document.body.innerText"),
      });
    }

    await page.goto(request.listingUrl);
    const subHref =
      new URL((await linkTo(request.collection).getAttribute("href")) ?? "", page.url()).href;
    await Promise.all([page.waitForURL(subHref), linkTo(request.collection).click()]);
    const subUrl = page.url();
    const subTitle = await page.title();
    const links = await page.locator("tbody tr a").allTextContents();
    await Promise.all([page.waitForURL(request.listingUrl), linkTo("../").click()]);
    return {
      status: response?.status(),
      contentType: response?.headers()["content-type"],
      title,
      rows,
      tableBox,
      viewport,
      opened,
      collection: {
        url: subUrl,
        title: subTitle,
        links,
        backUrl: page.url(),
        backTitle: await page.title(),
      },
    };
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const request = JSON.parse(Deno.args[0] ?? "{}") as DriverRequest;
  const report = await drive(request);
  console.log(JSON.stringify(report));
}
