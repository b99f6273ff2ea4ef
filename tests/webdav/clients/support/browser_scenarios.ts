// The file manager scenarios of browser_driver.ts: real clicks, typing, dialogs,
// file pickers, drops and downloads in headless Chromium; each returns what it saw,
// and the tests check the results in the store.

import type { Browser } from "./browser_driver.ts";

type Page = Awaited<ReturnType<Browser["newPage"]>>;

// The page's globals, for the functions that run inside the page (Deno has no DOM types).
// deno-lint-ignore no-explicit-any
declare const document: any;
// deno-lint-ignore no-explicit-any
declare const DataTransfer: any;

/** The file manager at work. */
export interface ManageRequest {
  scenario: "manage";
  /** The collection URL to open. */
  url: string;
  /** Files (paths on disk) to upload at once with the file picker. */
  uploads: string[];
  /** A file dropped onto the page: its name and text. */
  drop: { name: string; text: string };
  /** Where to save the screenshot after the uploads. */
  screenshotPath: string;
  /** The folder to create. */
  folder: string;
  /** A rename that goes through. */
  rename: { from: string; to: string };
  /** A rename onto an existing name, whose overwrite question is answered no. */
  renameOntoExisting: { from: string; to: string };
  /** A file deleted (confirmation accepted). */
  remove: string;
  /** A file whose delete confirmation is dismissed. */
  keep: string;
  /** A file locked by another client: its delete fails. */
  locked: string;
  /** A file downloaded through its Download link. */
  download: string;
  /** A file (path on disk) uploaded over an existing one, replacing it when asked. */
  replaceUpload: string;
  /** A rename onto an existing name, whose overwrite question is answered yes. */
  renameOverwriting: { from: string; to: string };
  /** A folder the page opens, then another client deletes. */
  goneFolder: string;
}

/** What the manage scenario saw. */
export interface ManageReport {
  uploads: {
    name: string;
    state: string;
    className: string;
    value: number;
    max: number;
    sent: string | null;
  }[];
  rowsAfterUpload: string[];
  renameConflictStatus: string;
  lockedStatus: string;
  downloaded: { suggestedName: string; base64: string };
  sortedBySizeAscending: string[];
  sortedBySizeDescending: string[];
  sortedByName: string[];
  sizeHeaderSort: string | null;
  finalRows: string[];
  /** The dialogs of the replacing upload and the overwriting rename. */
  replaceDialogs: string[];
  /** What the page said when another client had deleted its folder (409). */
  goneFolderStatus: string;
  console: string[];
}

/** What the scenarios use of a Playwright dialog. */
interface DialogLike {
  type(): string;
  message(): string;
  accept(text?: string): Promise<void>;
  dismiss(): Promise<void>;
}

async function clearStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const status = document.getElementById("status")!;
    status.hidden = true;
    status.className = "";
  });
}

const byName = (name: string) => `tbody tr[data-name=${JSON.stringify(name)}]`;

async function rowNames(page: Page): Promise<string[]> {
  return await page.locator("tbody tr[data-name]").evaluateAll((trs) =>
    trs.map((tr) => tr.getAttribute("data-name") ?? "")
  );
}

async function waitForRow(page: Page, name: string, present: boolean): Promise<void> {
  await page.waitForFunction(
    ([n, p]) =>
      [...document.querySelectorAll("tbody tr[data-name]")].some((tr) =>
        tr.getAttribute("data-name") === n
      ) === p,
    [name, present] as const,
  );
}

/** Waits for the script to have run (the column headers become buttons). */
async function scriptRan(page: Page): Promise<void> {
  await page.locator("th button.sort").first().waitFor();
}

export async function driveManage(browser: Browser, request: ManageRequest): Promise<ManageReport> {
  const page = await browser.newPage({
    viewport: { width: 1100, height: 700 },
    deviceScaleFactor: 1,
  });
  page.setDefaultTimeout(60_000);
  const consoleMessages: string[] = [];
  page.on("console", (message) => consoleMessages.push(message.text()));
  await page.goto(request.url);
  await scriptRan(page);
  await page.locator("#tools").waitFor({ state: "visible" });

  // Several files at once through the file picker, then one dropped onto the page.
  await page.setInputFiles("#upload-input", request.uploads);
  const dataTransfer = await page.evaluateHandle(([name, text]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: "text/plain" }));
    return transfer;
  }, [request.drop.name, request.drop.text] as const);
  await page.dispatchEvent("body", "dragenter", { dataTransfer });
  await page.dispatchEvent("body", "drop", { dataTransfer });
  const total = request.uploads.length + 1;
  await page.waitForFunction((n) => {
    const items = [...document.querySelectorAll("#uploads li")];
    return items.length === n &&
      items.every((li) => li.className === "done" || li.className === "failed");
  }, total);
  await waitForRow(page, request.drop.name, true);
  const uploads = await page.locator("#uploads li").evaluateAll((items) =>
    items.map((li) => {
      const bar = li.querySelector("progress")!;
      return {
        name: li.getAttribute("data-name") ?? "",
        state: li.querySelector(".state")?.textContent ?? "",
        className: li.className,
        value: bar.value,
        max: bar.max,
        sent: li.getAttribute("data-sent"),
      };
    })
  );
  const rowsAfterUpload = await rowNames(page);
  await page.screenshot({ path: request.screenshotPath, fullPage: true });

  // A new folder: typed and submitted.
  await page.fill("#mkdir-name", request.folder);
  await page.click("#mkdir-form button[type=submit]");
  await waitForRow(page, request.folder, true);

  // Rename: the prompt answered with the new name.
  page.once("dialog", (dialog) => void dialog.accept(request.rename.to));
  await page.click(`${byName(request.rename.from)} button.rename`);
  await waitForRow(page, request.rename.to, true);
  await waitForRow(page, request.rename.from, false);

  // Rename onto an existing name: the prompt answered, the overwrite question declined.
  const dialogs: string[] = [];
  const answerConflict = (
    dialog: { type(): string; accept(text?: string): Promise<void>; dismiss(): Promise<void> },
  ) => {
    dialogs.push(dialog.type());
    if (dialog.type() === "prompt") void dialog.accept(request.renameOntoExisting.to);
    else void dialog.dismiss();
  };
  page.on("dialog", answerConflict);
  await page.click(`${byName(request.renameOntoExisting.from)} button.rename`);
  const conflict = page.locator("#status.error");
  await conflict.waitFor();
  const renameConflictStatus = await conflict.innerText();
  page.off("dialog", answerConflict);
  if (dialogs.join() !== "prompt,confirm") throw new Error(`dialogs: ${dialogs.join()}`);

  // Delete, confirmed.
  page.once("dialog", (dialog) => void dialog.accept());
  await page.click(`${byName(request.remove)} button.delete`);
  await waitForRow(page, request.remove, false);

  // Delete, declined: nothing is sent.
  page.once("dialog", (dialog) => void dialog.dismiss());
  await page.click(`${byName(request.keep)} button.delete`);

  // An upload over an existing file, and a rename onto one: both asked, both yes.
  const replaceDialogs: string[] = [];
  const acceptAll = (dialog: DialogLike) => {
    replaceDialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.accept(dialog.type() === "prompt" ? request.renameOverwriting.to : undefined);
  };
  page.on("dialog", acceptAll);
  await page.setInputFiles("#upload-input", [request.replaceUpload]);
  await page.waitForFunction(() => {
    const items = [...document.querySelectorAll("#uploads li")];
    const last = items[items.length - 1];
    return last.className === "done" || last.className === "failed";
  });
  await page.click(`${byName(request.renameOverwriting.from)} button.rename`);
  await waitForRow(page, request.renameOverwriting.from, false);
  page.off("dialog", acceptAll);

  // Delete of a locked file: confirmed, refused by the server (423), said so.
  await clearStatus(page);
  page.once("dialog", (dialog) => void dialog.accept());
  await page.click(`${byName(request.locked)} button.delete`);
  const locked = page.locator("#status.error");
  await locked.waitFor();
  const lockedStatus = await locked.innerText();

  // Download through the file's Download link.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`${byName(request.download)} a.download`),
  ]);
  const downloadedPath = await download.path();
  const bytes = await Deno.readFile(downloadedPath);

  // Sorting by clicking the column headers.
  await page.click("th[data-sort=size] button.sort");
  const sortedBySizeAscending = await rowNames(page);
  const sizeHeaderSort = await page.locator("th[data-sort=size]").getAttribute("aria-sort");
  await page.click("th[data-sort=size] button.sort");
  const sortedBySizeDescending = await rowNames(page);
  await page.click("th[data-sort=name] button.sort");
  const sortedByName = await rowNames(page);

  // A fresh load shows the store's state.
  await page.goto(request.url);
  await scriptRan(page);
  const finalRows = await rowNames(page);

  // Another client deletes the folder the page shows; creating a folder in it
  // then fails with 409, said so.
  await page.click(`${byName(request.goneFolder)} td.name a`);
  await scriptRan(page);
  const folderUrl = page.url();
  const gone = await page.request.delete(folderUrl);
  if (gone.status() !== 204) throw new Error(`DELETE of the folder: ${gone.status()}`);
  await page.fill("#mkdir-name", "inside");
  await page.click("#mkdir-form button[type=submit]");
  const goneStatus = page.locator("#status.error");
  await goneStatus.waitFor();
  const goneFolderStatus = await goneStatus.innerText();
  return {
    uploads,
    rowsAfterUpload,
    renameConflictStatus,
    lockedStatus,
    downloaded: {
      suggestedName: download.suggestedFilename(),
      base64: btoa(String.fromCharCode(...bytes)),
    },
    sortedBySizeAscending,
    sortedBySizeDescending,
    sortedByName,
    sizeHeaderSort,
    finalRows,
    replaceDialogs,
    goneFolderStatus,
    console: consoleMessages,
  };
}

/** A read-only server's page. */
export interface ReadOnlyRequest {
  scenario: "read-only";
  url: string;
  /** A name to PUT from the page's own origin (forced past the missing controls). */
  put: string;
}

/** What the read-only scenario saw. */
export interface ReadOnlyReport {
  tools: number;
  uploadInputs: number;
  renameButtons: number;
  deleteButtons: number;
  downloadLinks: number;
  rows: string[];
  badge: string;
  put: { status: number; text: string };
}

export async function driveReadOnly(
  browser: Browser,
  request: ReadOnlyRequest,
): Promise<ReadOnlyReport> {
  const page = await browser.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(request.url);
  await scriptRan(page);
  const put = await page.evaluate(async (name) => {
    const answer = await fetch(name, { method: "PUT", body: "forced" });
    return { status: answer.status, text: await answer.text() };
  }, request.put);
  return {
    tools: await page.locator("#tools").count(),
    uploadInputs: await page.locator("input[type=file]").count(),
    renameButtons: await page.locator("button.rename").count(),
    deleteButtons: await page.locator("button.delete").count(),
    downloadLinks: await page.locator("a.download").count(),
    rows: await rowNames(page),
    badge: await page.locator("h1 .badge").innerText(),
    put,
  };
}

/** The page behind Basic authentication. */
export interface AuthRequest {
  scenario: "auth";
  url: string;
  username: string;
  password: string;
  /** A file (path on disk) to upload. */
  upload: string;
  /** The folder to create. */
  folder: string;
}

/** What the auth scenario saw. */
export interface AuthReport {
  anonymousStatus: number;
  status: number | undefined;
  upload: { className: string; state: string };
  rows: string[];
}

export async function driveAuth(browser: Browser, request: AuthRequest): Promise<AuthReport> {
  // Without credentials: the server's answer as the browser's fetch sees it
  // (a navigation to a challenge fails in Playwright without credentials).
  const anonymous = await browser.newContext();
  const blank = await anonymous.newPage();
  const anonymousStatus = (await blank.request.get(request.url)).status();
  await anonymous.close();

  const context = await browser.newContext({
    httpCredentials: { username: request.username, password: request.password },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const response = await page.goto(request.url);
  await scriptRan(page);
  await page.setInputFiles("#upload-input", [request.upload]);
  await page.waitForFunction(() => {
    const li = document.querySelector("#uploads li");
    return li !== null && (li.className === "done" || li.className === "failed");
  });
  const upload = await page.locator("#uploads li").evaluate((li) => ({
    className: li.className,
    state: li.querySelector(".state")?.textContent ?? "",
  }));
  await page.fill("#mkdir-name", request.folder);
  await page.click("#mkdir-form button[type=submit]");
  await waitForRow(page, request.folder, true);
  const rows = await rowNames(page);
  await context.close();
  return { anonymousStatus, status: response?.status(), upload, rows };
}

/** A page of another origin trying to change files on the server. */
export interface CrossOriginRequest {
  scenario: "cross-origin";
  /** The foreign page. */
  attackerUrl: string;
  /** A file URL on the server to PUT. */
  target: string;
}

/** What the cross-origin scenario saw. */
export interface CrossOriginReport {
  put: string;
  noCorsPost: string;
}

export async function driveCrossOrigin(
  browser: Browser,
  request: CrossOriginRequest,
): Promise<CrossOriginReport> {
  const page = await browser.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(request.attackerUrl);
  return await page.evaluate(async (target) => {
    const outcome = (promise: Promise<Response>) =>
      promise.then(
        (answer) => `answered ${answer.status} (${answer.type})`,
        (error: Error) => `failed: ${error.message}`,
      );
    return {
      put: await outcome(fetch(target, { method: "PUT", body: "evil" })),
      noCorsPost: await outcome(fetch(target, { method: "POST", mode: "no-cors", body: "evil" })),
    };
  }, request.target);
}
