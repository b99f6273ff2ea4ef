// Drives headless Chromium (Debian `chromium`, through playwright-core with
// `executablePath`; no browser is ever downloaded) over the server's pages and
// prints what it saw as JSON, for browser_test.ts and file_manager_test.ts to
// check against the store.
//
// It runs as a process of its own with all permissions (`deno run -A`): on import,
// playwright-core reads /proc (/proc/sys/fs/binfmt_misc/WSLInterop, to detect WSL),
// which Deno allows only with --allow-all, and the test suite runs with scoped
// permissions.
//
// Usage: deno run -A tests/webdav/clients/support/browser_driver.ts REQUEST_JSON
// REQUEST_JSON: a DriverRequest (below); the scenario's report is printed.

import { chromium } from "../../../../deps/playwright_core.ts";
import {
  type AuthRequest,
  type CrossOriginRequest,
  driveAuth,
  driveCrossOrigin,
  driveManage,
  driveReadOnly,
  type ManageRequest,
  type ReadOnlyRequest,
} from "./browser_scenarios.ts";

/** What the driver is asked to do: the listing scenario. */
export interface DriverRequest {
  scenario?: "listing";
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

/** What the driver saw in the listing scenario. */
export interface DriverReport {
  status: number | undefined;
  contentType: string | undefined;
  csp: string | undefined;
  title: string;
  rows: { name: string; size: string; modified: string; href: string; box: Box | null }[];
  viewport: { width: number; height: number };
  opened: { name: string; url: string; text: string }[];
  collection: { url: string; title: string; links: string[]; backUrl: string; backTitle: string };
  /** Messages Chromium logged (a CSP violation would be one). */
  console: string[];
  /** The same page with JavaScript off: its rows (name, size, href) and controls. */
  noScript: {
    rows: { name: string; size: string; href: string }[];
    toolsVisible: boolean;
    /** Visible buttons. */
    buttons: number;
  };
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

/** The browser of one scenario. */
export type Browser = Awaited<ReturnType<typeof chromium.launch>>;

async function driveListing(browser: Browser, request: DriverRequest): Promise<DriverReport> {
  const viewport = { width: 1000, height: 600 };
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  page.setDefaultTimeout(30_000);
  const consoleMessages: string[] = [];
  page.on("console", (message) => consoleMessages.push(message.text()));
  const response = await page.goto(request.listingUrl);
  // The script has run once the column headers are buttons.
  await page.locator("th button.sort").first().waitFor();
  const title = await page.title();
  const rows: DriverReport["rows"] = [];
  const trs = page.locator("tbody tr");
  const count = await trs.count();
  for (let i = 0; i < count && i < 1000; i++) {
    const row = trs.nth(i);
    const link = row.locator("td.name a");
    const [name = "", size = "", modified = "", href = ""] = await row.evaluate((tr) => [
      tr.querySelector("td.name")?.textContent ?? "",
      tr.querySelector("td.size")?.textContent ?? "",
      tr.querySelector("td.date time")?.getAttribute("datetime") ?? "",
      tr.querySelector("td.name a")?.getAttribute("href") ?? "",
    ]);
    rows.push({
      name,
      size,
      modified,
      href: new URL(href, page.url()).href,
      box: await link.boundingBox(),
    });
  }
  await page.screenshot({ path: request.screenshotPath, fullPage: true });

  const linkTo = (name: string) =>
    page.locator("tbody tr td.name a").filter({ hasText: name }).first();
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

  // With JavaScript off, the page is still a listing (and shows no controls).
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const plainPage = await plain.newPage();
  await plainPage.goto(request.listingUrl);
  const noScript = {
    rows: await plainPage.locator("tbody tr").evaluateAll((trs) =>
      trs.map((tr) => ({
        name: tr.querySelector("td.name")?.textContent ?? "",
        size: tr.querySelector("td.size")?.textContent ?? "",
        href: tr.querySelector("td.name a")?.getAttribute("href") ?? "",
      }))
    ),
    toolsVisible: await plainPage.locator("#tools").isVisible(),
    buttons: await plainPage.locator("button:visible").count(),
  };
  await plain.close();

  await page.goto(request.listingUrl);
  const subHref =
    new URL((await linkTo(request.collection).getAttribute("href")) ?? "", page.url()).href;
  await Promise.all([page.waitForURL(subHref), linkTo(request.collection).click()]);
  const subUrl = page.url();
  const subTitle = await page.title();
  const links = await page.locator("tbody tr td.name a").allTextContents();
  await Promise.all([page.waitForURL(request.listingUrl), linkTo("../").click()]);
  return {
    status: response?.status(),
    contentType: response?.headers()["content-type"],
    csp: response?.headers()["content-security-policy"],
    title,
    rows,
    viewport,
    opened,
    collection: {
      url: subUrl,
      title: subTitle,
      links,
      backUrl: page.url(),
      backTitle: await page.title(),
    },
    console: consoleMessages,
    noScript,
  };
}

type AnyRequest =
  | DriverRequest
  | ManageRequest
  | ReadOnlyRequest
  | AuthRequest
  | CrossOriginRequest;

async function drive(request: AnyRequest): Promise<unknown> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  try {
    switch (request.scenario) {
      case "manage":
        return await driveManage(browser, request);
      case "read-only":
        return await driveReadOnly(browser, request);
      case "auth":
        return await driveAuth(browser, request);
      case "cross-origin":
        return await driveCrossOrigin(browser, request);
      default:
        return await driveListing(browser, request);
    }
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const request = JSON.parse(Deno.args[0] ?? "{}") as AnyRequest;
  const report = await drive(request);
  console.log(JSON.stringify(report));
}
