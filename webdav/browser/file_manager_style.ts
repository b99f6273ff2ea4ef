/**
 * The style sheet of the browser's file manager page (inline in a `<style>`
 * element, allowed by its hash in the page's Content-Security-Policy).
 *
 * @module
 */

/**
 * The CSS of the file manager page: no external resources, readable without
 * JavaScript, light and dark.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FILE_MANAGER_STYLE } from "./file_manager_style.ts";
 * assert.ok(FILE_MANAGER_STYLE.includes("[hidden]{display:none!important}"));
 * assert.ok(!FILE_MANAGER_STYLE.includes("url("), "no external resources");
 * ```
 */
export const FILE_MANAGER_STYLE = [
  ":root{color-scheme:light dark;--fg:#1d232b;--muted:#5f6b7a;--line:#dde3ea;--stripe:#f5f7fa;",
  "--accent:#1a5fb4;--bad:#a51d2d;--bad-bg:#fbe9eb;--good:#26724a;--good-bg:#e7f5ec;--bg:#fff}",
  "@media (prefers-color-scheme:dark){:root{--fg:#e8ecf1;--muted:#9aa5b1;--line:#3a434e;",
  "--stripe:#222930;--accent:#78aeed;--bad:#ff9aa6;--bad-bg:#3d1f24;--good:#8ff0a4;",
  "--good-bg:#1d3325;--bg:#1a1f25}}",
  "[hidden]{display:none!important}",
  "body{font-family:system-ui,sans-serif;margin:0;padding:1.5em 2em;color:var(--fg);",
  "background:var(--bg);line-height:1.4}",
  "a{color:var(--accent)}",
  "nav.crumbs{font-size:.95em;color:var(--muted);margin-bottom:.3em}",
  "nav.crumbs a{text-decoration:none}nav.crumbs a:hover{text-decoration:underline}",
  "h1{font-size:1.4em;margin:.1em 0 .6em;word-break:break-word}",
  ".badge{display:inline-block;font-size:.8em;padding:.1em .6em;border:1px solid var(--line);",
  "border-radius:1em;color:var(--muted);margin-left:.6em;vertical-align:middle}",
  "#tools{display:flex;flex-wrap:wrap;gap:.8em;align-items:center;margin:.4em 0 1em}",
  "#tools form{display:flex;gap:.4em}",
  "#tools input[type=text]{padding:.35em .5em;border:1px solid var(--line);border-radius:4px;",
  "background:var(--bg);color:var(--fg)}",
  "button,.pick{font:inherit;padding:.35em .8em;border:1px solid var(--line);border-radius:4px;",
  "background:var(--stripe);color:var(--fg);cursor:pointer}",
  "button:hover,.pick:hover{border-color:var(--accent)}",
  ".pick input{position:absolute;width:1px;height:1px;opacity:0}",
  ".pick:focus-within{outline:2px solid var(--accent)}",
  ".hint{color:var(--muted);font-size:.9em;margin:0}",
  "#status{padding:.5em .8em;border-radius:4px;margin:.5em 0;white-space:pre-wrap}",
  "#status.error{background:var(--bad-bg);color:var(--bad)}",
  "#status.ok{background:var(--good-bg);color:var(--good)}",
  "#uploads{list-style:none;padding:0;margin:.5em 0}",
  "#uploads li{display:grid;grid-template-columns:minmax(8em,20em) 12em auto;gap:.8em;",
  "align-items:center;padding:.15em 0}",
  "#uploads .file{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}",
  "#uploads progress{width:12em}",
  "#uploads li.failed .state{color:var(--bad)}#uploads li.done .state{color:var(--good)}",
  "table{border-collapse:collapse;min-width:min(100%,44em)}",
  "th,td{padding:.3em .9em;text-align:left;border-bottom:1px solid var(--line)}",
  "th{font-weight:600;white-space:nowrap}",
  "th button.sort{border:0;background:none;padding:0;font-weight:600;color:var(--fg)}",
  "th[aria-sort=ascending] button.sort::after{content:' \\25B2'}",
  "th[aria-sort=descending] button.sort::after{content:' \\25BC'}",
  "td.size,th.size{text-align:right;white-space:nowrap}td.date{white-space:nowrap}",
  "td.name{word-break:break-word}td.actions{white-space:nowrap}",
  "td.actions>*{margin-right:.4em;font-size:.9em}",
  "tbody tr:nth-child(even){background:var(--stripe)}",
  "tr.empty td{color:var(--muted);font-style:italic}",
  "body.dragging{outline:3px dashed var(--accent);outline-offset:-10px}",
].join("");
