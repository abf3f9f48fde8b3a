"use strict";
// clusters.html as the editor of the label map: name or drop each cluster, give single clause parts their own
// label, download label_map.csv and clause_overrides.csv as zh label reads them. Edits are autosaved.

const D = pageData();
const DROP = "-";
const UNASSIGNED = "unassigned";  // the label map line of the parts far from every medoid
const RESERVED = ["n_labels", "single_label", "unassigned"];
const COL = {id: D.columns.indexOf("cluster_id"), label: D.columns.indexOf("label")};
const written = {labels: Object.fromEntries(D.rows.map((r) => [r[COL.id], r[COL.label]])),
                 overrides: Object.fromEntries(D.overrides)};
let state = autosave.load(D.key);
if (!state || state.version !== 1) state = {version: 1, labels: {...written.labels}, overrides: {...written.overrides}};
const keep = autosave.saver(D.key, () => say("This browser does not let the page save its edits; download both files "
                                              + "before you close it.", true));
function save() { keep(state); }

function say(text, error) {
  const box = document.getElementById("say");
  box.textContent = text;
  box.className = text ? "notice" + (error ? " error" : "") : "hidden";
}

function problem(label) {
  const name = (label || "").trim();
  if (!name) return "empty: write a name, or - to drop";
  if (RESERVED.includes(name)) return `${name} is a reserved output column`;
  return null;
}

// ---- the label map and overrides as zh label reads them ----

function labelMapCsv() {
  const rows = D.rows.map((r) => r.map((cell, i) => (i === COL.label ? state.labels[r[COL.id]].trim() : cell)));
  return toCsv([D.columns, ...rows]);
}

function overridesCsv() {
  return toCsv([["clause", "label"], ...Object.entries(state.overrides).map(([c, l]) => [c, l.trim()])]);
}

function problems() {
  const bad = D.rows.filter((r) => problem(state.labels[r[COL.id]])).map((r) => `#${r[COL.id]}`);
  const badOverrides = Object.entries(state.overrides).filter(([, l]) => problem(l)).map(([c]) => c);
  return bad.length ? `cluster ${bad.join(", ")}: ${problem(state.labels[bad[0].slice(1)])}`
    : badOverrides.length ? `a clause override: ${problem(state.overrides[badOverrides[0]])}` : null;
}

// ---- toolbar, cluster editors, clause overrides ----

function datalist() {
  return el("datalist", {id: "label-names"}, [DROP, ...D.names].map((name) => el("option", {value: name})));
}

function toolbar() {
  const bar = document.getElementById("toolbar");
  bar.replaceChildren(
    el("strong", {}, "Label map editor"),
    el("span", {class: "counts", id: "counts"}),
    el("button", {type: "button", id: "download-map", onclick: () => save_file("label_map.csv", labelMapCsv)},
       "Download label_map.csv"),
    el("button", {type: "button", id: "download-overrides",
                  onclick: () => save_file("clause_overrides.csv", overridesCsv)}, "Download clause_overrides.csv"),
    el("button", {type: "button", id: "revert", onclick: revert}, "Undo all edits"),
    el("span", {class: "hint"}, "Name each cluster (a CheXpert name, a known finding, or your own; ",
       el("code", {}, "-"), " drops it). Click a clause to give it its own label. Save both downloads into the mined " +
       "folder (replacing label_map.csv), then run ", el("code", {}, "cxrlabel zh label reports.csv --label-map " +
       "mined/label_map.csv -o labels.csv"), "."),
    el("div", {id: "say", class: "hidden", role: "status"}));
  document.body.append(datalist());
}

function save_file(name, make) {
  const bad = problems();
  if (bad) { say(`Not downloaded: ${bad}.`, true); return; }
  say("");
  download(name, make());
}

function revert() {
  state = {version: 1, labels: {...written.labels}, overrides: {...written.overrides}};
  autosave.forget(D.key);
  refresh();
  say("Back to the files as they are in the folder.");
}

function counts() {
  // the unassigned parts' line is no cluster
  const labels = Object.entries(state.labels).filter(([id]) => id !== UNASSIGNED).map(([, l]) => l.trim());
  const dropped = labels.filter((l) => l === DROP).length;
  const edited = D.rows.filter((r) => state.labels[r[COL.id]] !== written.labels[r[COL.id]]).length;
  document.getElementById("counts").textContent =
    `${labels.length} clusters: ${new Set(labels.filter((l) => l !== DROP)).size} labels, ${dropped} dropped, ` +
    `${edited} edited · ${Object.keys(state.overrides).length} clause overrides`;
}

function clusterEditors() {
  for (const r of D.rows) {
    const id = r[COL.id], box = document.getElementById(`cluster-${id}`);
    if (!box) continue;
    const input = el("input", {type: "text", list: "label-names", class: "label-input", "data-cluster": id,
                               "aria-label": `label of cluster ${id}`, autocomplete: "off"});
    input.value = state.labels[id];
    input.addEventListener("input", () => { state.labels[id] = input.value; save(); refresh(); });
    const drop = el("button", {type: "button", class: "drop", title: "drop this cluster (label -)",
                               onclick: () => { state.labels[id] = DROP; input.value = DROP; save(); refresh(); }}, "drop");
    box.querySelector(".head").after(el("div", {class: "editor"}, input, drop, el("span", {class: "state"})));
  }
}

function refresh() {
  for (const r of D.rows) {
    const id = r[COL.id], box = document.getElementById(`cluster-${id}`);
    if (!box) continue;
    const label = state.labels[id], input = box.querySelector(".label-input");
    if (document.activeElement !== input) input.value = label;
    const bad = problem(label);
    input.classList.toggle("invalid", !!bad);
    input.title = bad || "";
    box.classList.toggle("dropped", label.trim() === DROP);
    box.querySelector(".name").textContent = label.trim() === DROP ? "- (dropped)" : label;
    box.querySelector(".state").textContent = label !== written.labels[id] ? "edited" : "";
  }
  for (const node of document.querySelectorAll("[data-clause]")) {
    const label = state.overrides[node.dataset.clause];
    node.classList.toggle("overridden", label !== undefined);
    node.querySelector(".override-tag")?.remove();
    if (label !== undefined) node.append(el("span", {class: "override-tag"}, label.trim() === DROP ? "→ dropped" : `→ ${label}`));
  }
  const list = document.getElementById("overrides");
  list.replaceChildren(...Object.entries(state.overrides).map(([clause, label]) => el("li", {},
    el("span", {lang: "zh-CN"}, clause), " → ", el("b", {}, label.trim() === DROP ? "- (dropped)" : label), " ",
    el("button", {type: "button", class: "remove", onclick: () => { delete state.overrides[clause]; save(); refresh(); }},
       "remove"))));
  document.getElementById("overrides-head").textContent =
    `Clause overrides (${Object.keys(state.overrides).length}): labelled before the nearest cluster`;
  counts();
}

function closePopover() { document.getElementById("popover")?.remove(); }

function openPopover(node) {
  closePopover();
  const clause = node.dataset.clause, had = state.overrides[clause];
  const input = el("input", {type: "text", list: "label-names", "aria-label": "label of this clause", autocomplete: "off"});
  input.value = had === undefined ? "" : had;
  const set = (label) => {
    const bad = problem(label);
    if (bad) { input.classList.add("invalid"); input.title = bad; return; }
    state.overrides[clause] = label.trim();
    save(); refresh(); closePopover();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { set(input.value); event.preventDefault(); }
    if (event.key === "Escape") closePopover();
  });
  const box = el("div", {id: "popover", role: "dialog"},
    el("div", {class: "what"}, "Own label for ", el("b", {lang: "zh-CN"}, clause)),
    input,
    el("div", {class: "row"},
      el("button", {type: "button", class: "set", onclick: () => set(input.value)}, "Set"),
      el("button", {type: "button", class: "drop", onclick: () => set(DROP)}, "Drop (-)"),
      had === undefined ? null : el("button", {type: "button", class: "remove",
        onclick: () => { delete state.overrides[clause]; save(); refresh(); closePopover(); }}, "Remove override"),
      el("button", {type: "button", onclick: closePopover}, "Cancel")));
  const at = node.getBoundingClientRect();
  box.style.left = `${Math.max(8, Math.min(window.scrollX + at.left, window.scrollX + document.documentElement.clientWidth - 350))}px`;
  box.style.top = `${window.scrollY + at.bottom + 4}px`;
  document.body.append(box);
  input.focus();
}

toolbar();
clusterEditors();
document.body.append(el("h2", {id: "overrides-head"}), el("ul", {id: "overrides"}));
document.body.classList.add("editing");
document.addEventListener("click", (event) => {
  const node = event.target.closest("[data-clause]");
  if (node && !event.target.closest("#popover")) { openPopover(node); return; }
  if (!event.target.closest("#popover")) closePopover();
});
document.addEventListener("keydown", (event) => { if (event.key === "Escape") closePopover(); });
refresh();
if (!autosave.save(D.key + ":probe", 1)) say("This browser does not let the page save its edits; download both files before you close it.", true);
autosave.forget(D.key + ":probe");
