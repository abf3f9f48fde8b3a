"use strict";
// Shared by the review page and clusters.html: the page's data, elements, CSV out and in, downloads, autosave.

function pageData() {
  return JSON.parse(document.getElementById("data").textContent);
}

// el("div", {class: "x", onclick: f}, child, "text", ...): an element; text children are text nodes.
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A CSV field as pandas writes it (minimal quoting), so a download reads back as the file the tool wrote.
function csvField(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

function toCsv(rows) {
  return rows.map((row) => row.map(csvField).join(",")).join("\n") + "\n";
}

// RFC 4180 rows (quoted fields may hold commas, quotes and line breaks); a leading byte-order mark is dropped.
function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false, i = 0;
  text = text.replace(/^\uFEFF/, "");
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i += 1; continue; }
      field += c; i += 1; continue;
    }
    if (c === '"' && field === "") { quoted = true; i += 1; continue; }
    if (c === ",") { row.push(field); field = ""; i += 1; continue; }
    if (c === "\r" || c === "\n") {
      row.push(field); rows.push(row); row = []; field = "";
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      continue;
    }
    field += c; i += 1;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.length > 1 || r[0] !== "");
}

function download(name, text) {
  const link = el("a", {href: URL.createObjectURL(new Blob([text], {type: "text/csv;charset=utf-8"})),
                        download: name});
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

// Autosave in the browser's storage; false where the browser refuses it (then the page says so).
const autosave = {
  load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  },
  save(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  },
  forget(key) {
    try { localStorage.removeItem(key); } catch (e) { /* nothing saved, nothing to forget */ }
  },
  // save(value) under `key`, calling `refused` once when the browser stops keeping it (again only after a
  // save that worked), so the reviewer is told to download before closing, but not at every change.
  saver(key, refused) {
    let could = true;
    return value => {
      const ok = autosave.save(key, value);
      if (!ok && could) refused();
      could = ok;
      return ok;
    };
  },
};

// Label values as extract and zh label write them: 1.0, 0.0, -1.0, blank.
function valueText(value) {
  return value === null || value === undefined ? "" : value === 1 ? "1.0" : value === 0 ? "0.0" : "-1.0";
}

function parseValue(text) {
  const t = String(text).trim();
  if (t === "" || t.toLowerCase() === "nan") return null;
  const v = Number(t);
  if (v === 1 || v === 0 || v === -1) return v;
  throw new Error(`${JSON.stringify(t)} is not 1.0, 0.0, -1.0 or blank`);
}
