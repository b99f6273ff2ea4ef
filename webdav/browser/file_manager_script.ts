/**
 * The script of the browser's file manager page (inline in a `<script>`
 * element, allowed by its hash in the page's Content-Security-Policy; no
 * framework, no external resources, no inline event handlers). It reads the
 * page's settings from `<body>`'s data attributes — `data-base` (this
 * collection's href, mount prefix included, ending with `/`) and
 * `data-readonly` — and sends every change as a WebDAV request to the server
 * (PUT, MKCOL, MOVE, DELETE), so authentication, locks and the read-only mode
 * apply as for any client:
 *
 * - uploads: several files at once from the file picker or dropped onto the
 *   page, one after another, each with a progress bar (XMLHttpRequest upload
 *   progress); `If-None-Match: *` first, and a 412 (the name exists) asks
 *   before replacing;
 * - a new folder (MKCOL), rename (MOVE with `Destination` and `Overwrite: F`,
 *   asking before overwriting), delete (after a confirmation);
 * - columns sorted by name, size or date (folders first), dates in local time;
 * - server errors (401, 403, 409, 412, 423, 507…) shown as sentences, with the
 *   server's own message when it sent one;
 * - after a change the listing is fetched again and swapped in place.
 *
 * Without JavaScript the page is still a working listing.
 *
 * @module
 */

/**
 * The file manager's JavaScript (a classic script, ES2017, run at the end of
 * the page's body).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FILE_MANAGER_SCRIPT } from "./file_manager_script.ts";
 * // It parses (a syntax error would throw here).
 * assert.equal(typeof new Function(FILE_MANAGER_SCRIPT), "function");
 * assert.ok(FILE_MANAGER_SCRIPT.includes("XMLHttpRequest"));
 * assert.ok(!FILE_MANAGER_SCRIPT.includes("innerHTML ="), "never parses strings as HTML");
 * ```
 */
export const FILE_MANAGER_SCRIPT = String.raw`(function () {
"use strict";
var body = document.body;
var base = body.getAttribute("data-base") || "/";
var readOnly = body.getAttribute("data-readonly") === "true";
var statusBox = document.getElementById("status");
var uploadList = document.getElementById("uploads");
var sortState = { key: "", dir: 1 };
var queue = [];
var uploading = false;

function encodeSegment(name) {
  return encodeURIComponent(name).replace(/[!'()*]/g, function (c) {
    return "%" + c.charCodeAt(0).toString(16).toUpperCase();
  });
}
function childHref(name, collection) {
  return base + encodeSegment(name) + (collection ? "/" : "");
}
function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
function show(kind, text) {
  statusBox.textContent = text;
  statusBox.className = kind;
  statusBox.hidden = false;
}
function table() { return document.getElementById("listing"); }
function rows() {
  return Array.prototype.slice.call(table().tBodies[0].rows).filter(function (tr) {
    return tr.hasAttribute("data-name");
  });
}
function rowNamed(name) {
  var all = rows();
  for (var i = 0; i < all.length; i++) {
    if (all[i].getAttribute("data-name") === name) return all[i];
  }
  return null;
}

// One WebDAV request; resolves with { status, type, text } (status 0: no answer).
function send(method, url, options) {
  options = options || {};
  return new Promise(function (resolve) {
    var xhr = new XMLHttpRequest();
    xhr.open(method, url);
    var headers = options.headers || {};
    Object.keys(headers).forEach(function (name) { xhr.setRequestHeader(name, headers[name]); });
    if (options.progress && xhr.upload) {
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) options.progress(event.loaded, event.total);
      });
    }
    xhr.addEventListener("load", function () {
      resolve({
        status: xhr.status,
        type: xhr.getResponseHeader("Content-Type") || "",
        text: xhr.responseText || "",
      });
    });
    xhr.addEventListener("error", function () { resolve({ status: 0, type: "", text: "" }); });
    xhr.addEventListener("abort", function () { resolve({ status: 0, type: "", text: "" }); });
    xhr.send(options.body === undefined ? null : options.body);
  });
}

// The server's own words: a plain-text message, or a DAV:error's condition.
function serverWords(answer) {
  if (/^text\/plain/i.test(answer.type)) {
    var line = answer.text.trim().split("\n")[0].slice(0, 300);
    return line ? " (" + line + ")" : "";
  }
  if (/xml/i.test(answer.type) && answer.text) {
    try {
      var doc = new DOMParser().parseFromString(answer.text, "application/xml");
      var condition = doc.documentElement && doc.documentElement.firstElementChild;
      if (condition) return " (" + condition.localName + ")";
    } catch (e) { /* not XML after all */ }
  }
  return "";
}

var REASONS = {
  0: "the server could not be reached",
  400: "the server did not accept the request",
  401: "you are not signed in, or your password was refused",
  403: "this is not allowed here",
  404: "it was not found: it may have been moved or deleted meanwhile",
  405: "an item of that name already exists",
  409: "its folder does not exist (any more): reload the page",
  412: "an item of that name already exists",
  413: "it is too large for the server",
  415: "the server does not accept this kind of request",
  423: "it is locked by another client: try again once it is unlocked",
  502: "the destination is not on this server",
  503: "the server is busy: try again in a moment",
  507: "the server has not enough storage space left",
};

function failure(action, answer) {
  var reason = REASONS[answer.status] ||
    (answer.status >= 500 ? "the server failed" : "the server refused it");
  var code = answer.status ? " [HTTP " + answer.status + "]" : "";
  return action + " failed: " + reason + serverWords(answer) + code;
}

function ok(status) { return status >= 200 && status < 300 && status !== 207; }

function validName(name) {
  if (name === null) return null;
  name = name.trim();
  if (name === "") return null;
  if (name === "." || name === ".." || name.indexOf("/") >= 0 || name.indexOf("\0") >= 0) {
    show("error", "\u201C" + name + "\u201D cannot be a name: no \u201C/\u201D, \u201C.\u201D or \u201C..\u201D");
    return null;
  }
  return name;
}

// --- the listing: refresh in place, sort, decorate -------------------------

function refresh() {
  return send("GET", base, { headers: { Accept: "text/html" } }).then(function (answer) {
    if (answer.status !== 200) {
      // Below the change's own error, if it failed too (e.g. 409, then 404 here).
      var prior = !statusBox.hidden && statusBox.className === "error"
        ? statusBox.textContent + "\n" : "";
      show("error", prior + failure("Reloading the listing", answer));
      return;
    }
    var doc = new DOMParser().parseFromString(answer.text, "text/html");
    var fresh = doc.getElementById("listing");
    if (!fresh) return;
    var tbody = document.importNode(fresh.tBodies[0], true);
    table().replaceChild(tbody, table().tBodies[0]);
    decorate();
    applySort();
  });
}

function decorate() {
  rows().forEach(function (tr) {
    var time = tr.querySelector("time");
    if (time && time.getAttribute("datetime")) {
      var date = new Date(time.getAttribute("datetime"));
      if (!isNaN(date.getTime())) {
        time.textContent = date.toLocaleString(undefined, {
          year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
        });
        time.title = date.toString();
      }
    }
    if (readOnly || tr.querySelector("button.rename")) return;
    var name = tr.getAttribute("data-name");
    var cell = tr.querySelector("td.actions");
    var rename = el("button", "rename", "Rename");
    rename.type = "button";
    rename.setAttribute("aria-label", "Rename " + name);
    var remove = el("button", "delete", "Delete");
    remove.type = "button";
    remove.setAttribute("aria-label", "Delete " + name);
    cell.appendChild(rename);
    cell.appendChild(remove);
  });
}

function sortValue(tr, key) {
  if (key === "size") return Number(tr.getAttribute("data-size") || -1);
  if (key === "date") return Number(tr.getAttribute("data-mtime") || 0);
  return tr.getAttribute("data-name") || "";
}
var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function applySort() {
  var key = sortState.key;
  if (!key) return;
  var tbody = table().tBodies[0];
  var sorted = rows().sort(function (a, b) {
    var da = a.getAttribute("data-kind") === "collection" ? 0 : 1;
    var db = b.getAttribute("data-kind") === "collection" ? 0 : 1;
    if (da !== db) return da - db;
    var va = sortValue(a, key), vb = sortValue(b, key);
    var order = key === "name" ? collator.compare(va, vb) : va - vb;
    if (order === 0 && key !== "name") order = collator.compare(sortValue(a, "name"), sortValue(b, "name"));
    return order * sortState.dir;
  });
  sorted.forEach(function (tr) { tbody.appendChild(tr); });
  Array.prototype.forEach.call(table().tHead.rows[0].cells, function (th) {
    var k = th.getAttribute("data-sort");
    if (!k) return;
    if (k === key) th.setAttribute("aria-sort", sortState.dir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  });
}

Array.prototype.forEach.call(table().tHead.rows[0].cells, function (th) {
  var key = th.getAttribute("data-sort");
  if (!key) return;
  var button = el("button", "sort", th.textContent);
  button.type = "button";
  th.textContent = "";
  th.appendChild(button);
  button.addEventListener("click", function () {
    sortState.dir = sortState.key === key ? -sortState.dir : 1;
    sortState.key = key;
    applySort();
  });
});

// --- changes ---------------------------------------------------------------

function renameRow(tr) {
  var name = tr.getAttribute("data-name");
  var collection = tr.getAttribute("data-kind") === "collection";
  var target = validName(window.prompt("Rename \u201C" + name + "\u201D to:", name));
  if (target === null || target === name) return;
  var source = tr.querySelector("td.name a").getAttribute("href");
  var destination = childHref(target, collection);
  var move = function (overwrite) {
    return send("MOVE", source, {
      headers: { Destination: destination, Overwrite: overwrite ? "T" : "F" },
    });
  };
  move(false).then(function (answer) {
    if (answer.status === 412 &&
      window.confirm("\u201C" + target + "\u201D already exists. Replace it?")) {
      return move(true);
    }
    return answer;
  }).then(function (answer) {
    if (ok(answer.status)) show("ok", "Renamed \u201C" + name + "\u201D to \u201C" + target + "\u201D.");
    else if (answer.status === 412) show("error", "Not renamed: \u201C" + target + "\u201D already exists.");
    else show("error", failure("Renaming \u201C" + name + "\u201D", answer));
    return refresh();
  });
}

function deleteRow(tr) {
  var name = tr.getAttribute("data-name");
  var collection = tr.getAttribute("data-kind") === "collection";
  var question = collection
    ? "Delete the folder \u201C" + name + "\u201D and everything in it?"
    : "Delete \u201C" + name + "\u201D?";
  if (!window.confirm(question)) return;
  var href = tr.querySelector("td.name a").getAttribute("href");
  send("DELETE", href).then(function (answer) {
    if (ok(answer.status)) show("ok", "Deleted \u201C" + name + "\u201D.");
    else if (answer.status === 207) {
      show("error", "Deleting \u201C" + name + "\u201D failed in part: some items inside are locked or could not be deleted.");
    } else show("error", failure("Deleting \u201C" + name + "\u201D", answer));
    return refresh();
  });
}

function createFolder(name) {
  return send("MKCOL", childHref(name, true)).then(function (answer) {
    if (answer.status === 201) show("ok", "Created the folder \u201C" + name + "\u201D.");
    else show("error", failure("Creating the folder \u201C" + name + "\u201D", answer));
    return refresh();
  });
}

// --- uploads ---------------------------------------------------------------

function enqueue(files) {
  Array.prototype.forEach.call(files, function (file) {
    var item = el("li", "waiting");
    item.setAttribute("data-name", file.name);
    var label = el("span", "file", file.name);
    label.title = file.name;
    var bar = el("progress");
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    var state = el("span", "state", "waiting");
    item.appendChild(label);
    item.appendChild(bar);
    item.appendChild(state);
    uploadList.appendChild(item);
    queue.push({ file: file, item: item, bar: bar, state: state });
  });
  if (!uploading) next();
}

function next() {
  var job = queue.shift();
  if (!job) {
    uploading = false;
    refresh();
    return;
  }
  uploading = true;
  upload(job).then(next);
}

function upload(job) {
  var name = job.file.name;
  var put = function (replace) {
    job.item.className = "sending";
    job.state.textContent = "uploading\u2026";
    return send("PUT", childHref(name, false), {
      headers: replace ? {} : { "If-None-Match": "*" },
      body: job.file,
      progress: function (loaded, total) {
        job.bar.max = Math.max(total, 1);
        job.bar.value = loaded;
        job.item.setAttribute("data-sent", String(loaded));
      },
    });
  };
  return put(false).then(function (answer) {
    if (answer.status === 412) {
      var existing = rowNamed(name);
      if (existing && existing.getAttribute("data-kind") === "collection") return answer;
      if (window.confirm("\u201C" + name + "\u201D already exists. Replace it?")) return put(true);
      answer.skipped = true;
    }
    return answer;
  }).then(function (answer) {
    if (ok(answer.status)) {
      job.bar.value = job.bar.max;
      job.item.className = "done";
      job.state.textContent = "uploaded";
    } else if (answer.skipped) {
      job.item.className = "skipped";
      job.state.textContent = "skipped: already exists";
    } else {
      job.item.className = "failed";
      job.state.textContent = failure("Upload", answer);
      show("error", failure("Uploading \u201C" + name + "\u201D", answer));
    }
  });
}

// --- wiring ----------------------------------------------------------------

decorate();
if (!readOnly) {
  var tools = document.getElementById("tools");
  if (tools) tools.hidden = false;
  var picker = document.getElementById("upload-input");
  picker.addEventListener("change", function () {
    enqueue(picker.files);
    picker.value = "";
  });
  var form = document.getElementById("mkdir-form");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("mkdir-name");
    var name = validName(input.value);
    if (name === null) return;
    input.value = "";
    createFolder(name);
  });
  table().addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button");
    if (!button) return;
    var tr = button.closest("tr");
    if (button.classList.contains("rename")) renameRow(tr);
    else if (button.classList.contains("delete")) deleteRow(tr);
  });
  var depth = 0;
  document.addEventListener("dragenter", function (event) {
    event.preventDefault();
    depth++;
    body.classList.add("dragging");
  });
  document.addEventListener("dragleave", function () {
    depth = Math.max(0, depth - 1);
    if (depth === 0) body.classList.remove("dragging");
  });
  document.addEventListener("dragover", function (event) { event.preventDefault(); });
  document.addEventListener("drop", function (event) {
    event.preventDefault();
    depth = 0;
    body.classList.remove("dragging");
    var transfer = event.dataTransfer;
    if (!transfer) return;
    var files = [];
    var skipped = 0;
    for (var i = 0; i < transfer.files.length; i++) {
      var entry = transfer.items && transfer.items[i] && transfer.items[i].webkitGetAsEntry
        ? transfer.items[i].webkitGetAsEntry() : null;
      if (entry && entry.isDirectory) skipped++;
      else files.push(transfer.files[i]);
    }
    if (skipped) show("error", "Folders cannot be dropped here: drop the files inside them.");
    if (files.length) enqueue(files);
  });
}
})();
`;
