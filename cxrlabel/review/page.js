"use strict";
// The review page: one report at a time, its predicted labels as controls, keyboard first, autosaved.

const D = pageData();
const OBS = D.observations;
const N = D.reports.length;
const NAMES = {"1": "positive", "0": "negative", "-1": "uncertain", "null": "blank"};
const SHORT = {"1": "1", "0": "0", "-1": "−1", "null": "·"};
const CHOICES = [1, 0, -1, null];
const KEYS = {"1": 1, "0": 0, "u": -1, "-": -1, "x": null, "Delete": null, "Backspace": null};

// Saved state: where the reviewer is, their name, and each touched report's values and status.
let state = autosave.load(D.key);
if (!state || state.version !== 1) state = {version: 1, reviewer: "", at: 0, rows: {}};
let cursor = null;  // index of the selected label

function report(i) { return D.reports[i]; }
function row(i) { return state.rows[report(i).id]; }
function values(i) { const r = row(i); return r ? r.values : report(i).predicted; }
function confirmed(i) { const r = row(i); return !!r && r.status === "confirmed"; }
function nConfirmed() { let n = 0; for (let i = 0; i < N; i++) n += confirmed(i); return n; }
function same(a, b) { return (a === null ? null : Number(a)) === (b === null ? null : Number(b)); }
function key(v) { return String(v === null || v === undefined ? null : Number(v)); }
function now() { return new Date().toISOString().replace(/\.\d{3}Z$/, "Z"); }

const UNSAVED = "This browser does not let the page save; download reviewed.csv before you close it.";
const keep = autosave.saver(D.key, () => notice(UNSAVED, true));
function save() { keep(state); }

function notice(text, error) {
  const box = document.getElementById("notices");
  box.replaceChildren(el("p", {class: "notice" + (error ? " error" : ""), role: "status"}, text));
}

// Walking order of a report's labels: the ones it was drawn for first, then those it mentions.
function order(i) {
  const r = report(i), first = [...r.focus];
  r.predicted.forEach((v, o) => { if (v !== null && !first.includes(o)) first.push(o); });
  return first;
}

function startCursor() { const walk = order(state.at); cursor = walk.length ? walk[0] : 0; }

function setValue(o, v) {
  const i = state.at, r = report(i);
  const saved = row(i) || {values: [...r.predicted], status: "unreviewed", reviewer: "", reviewed_at: ""};
  saved.values = [...saved.values];
  saved.values[o] = v;
  if (saved.status === "confirmed") { saved.reviewer = state.reviewer; saved.reviewed_at = now(); }
  state.rows[r.id] = saved;
  const walk = order(i), at = walk.indexOf(o);
  if (at >= 0 && at + 1 < walk.length && r.focus.includes(walk[at + 1])) cursor = walk[at + 1];
  else cursor = o;
  save();
  draw();
}

function confirm() {
  const i = state.at, r = report(i);
  state.rows[r.id] = {values: [...values(i)], status: "confirmed", reviewer: state.reviewer, reviewed_at: now()};
  const next = nextUnconfirmed(i);
  if (next !== null) state.at = next;
  save();
  startCursor();
  draw();
  if (next === null) notice(`All ${N} reports are confirmed. Download reviewed.csv to score them.`);
}

function nextUnconfirmed(from) {
  for (let step = 1; step <= N; step++) {
    const i = (from + step) % N;
    if (!confirmed(i)) return i;
  }
  return null;
}

function go(i) {
  state.at = Math.max(0, Math.min(N - 1, i));
  save();
  startCursor();
  draw();
  window.scrollTo(0, 0);
}

// ---- drawing ----

function markTitle(m) {
  return `${OBS[m.o]}${m.aux ? " (auxiliary)" : ""}: ${NAMES[key(m.v)]}, rule ${m.rule}` +
    (m.decides ? "" : " (overruled)");
}

// The text cut at every section, mention and selected-sentence edge; each piece carries what covers it.
function drawEnglish(r, text) {
  const cuts = new Set([0, r.text.length]);
  const sentences = r.marks.filter((m) => m.o === cursor && m.decides).map((m) => m.sent);
  for (const [, s, e] of r.sections) { cuts.add(s); cuts.add(e); }
  for (const m of r.marks) { cuts.add(m.s); cuts.add(m.e); }
  for (const [s, e] of sentences) { cuts.add(s); cuts.add(e); }
  const points = [...cuts].filter((p) => p >= 0 && p <= r.text.length).sort((a, b) => a - b);
  for (let k = 0; k + 1 < points.length; k++) {
    const s = points[k], e = points[k + 1];
    const section = r.sections.find(([, a, b]) => a <= s && e <= b);
    const covering = r.marks.filter((m) => m.s <= s && e <= m.e);
    const classes = [];
    if (!section) classes.push("header");
    else if (!section[3]) classes.push("unread");
    if (sentences.some(([a, b]) => a <= s && e <= b)) classes.push("sentence");
    let title = section && !section[3] ? `${section[0]} section: not read by the labeller` : null;
    if (covering.length) {
      const chosen = covering.find((m) => m.o === cursor) || covering.find((m) => m.decides) || covering[0];
      classes.push("mark", "v" + key(chosen.v));
      if (chosen.o === cursor) classes.push("selected");
      if (!chosen.decides) classes.push("overruled");
      title = covering.map(markTitle).join("\n");
    }
    text.append(classes.length || title ? el("span", {class: classes.join(" "), title}, r.text.slice(s, e))
                                        : r.text.slice(s, e));
  }
}

function drawChinese(r, text, parts) {
  text.textContent = r.text;
  parts.append(el("div", {class: "parts-head muted"}, "Clause parts as zh label reads them:"));
  for (const p of r.parts) {
    const classes = ["part", "v" + key(p.v), p.how];
    if (p.o !== null && p.o === cursor) classes.push("selected");
    const where = p.how === "override" ? "clause override" : p.how === "unassigned"
      ? `unassigned (nearest #${p.cluster}, distance ${p.d})` : p.how === "dropped" ? `#${p.cluster} dropped (-)`
      : p.how === "none" ? "no finding text" : `#${p.cluster}, distance ${p.d}`;
    parts.append(el("span", {class: classes.join(" "), title: `${p.cue}: ${NAMES[key(p.v)]}; ${where}`},
      el("span", {class: "part-text"}, p.text),
      el("span", {class: "part-tag"}, (p.cluster !== null ? `#${p.cluster} ` : "") + (p.label || "—")),
      el("span", {class: "part-cue"}, p.cue === "none" ? "" : p.cue)));
  }
}

function rulesFor(r, o) {
  if (D.language === "zh") {
    return [...new Set((r.parts || []).filter((p) => p.o === o).map((p) =>
      `${p.text}: ${p.cue === "none" ? "stated" : p.cue} (${p.how === "override" ? "clause override" : "#" + p.cluster})`))];
  }
  const found = (r.marks || []).filter((m) => m.o === o && m.decides).map((m) => m.rule);
  const derived = (r.derived || []).filter((d) => d.o === o).map((d) => d.rule);
  return [...new Set([...found, ...derived])];
}

function drawCells(i) {
  const r = report(i), now = values(i), box = document.getElementById("cells");
  box.replaceChildren();
  OBS.forEach((name, o) => {
    const changed = !same(now[o], r.predicted[o]);
    const classes = ["cell"];
    if (o === cursor) classes.push("selected");
    if (r.focus.includes(o)) classes.push("focus");
    if (changed) classes.push("changed");
    if (r.predicted[o] !== null) classes.push("mentioned");
    const buttons = CHOICES.map((v) => el("button", {
      type: "button", class: ["choice", "v" + key(v), same(now[o], v) ? "on" : "", same(r.predicted[o], v) ? "pred" : ""]
        .join(" ").trim(), title: `${NAMES[key(v)]}${same(r.predicted[o], v) ? " (predicted)" : ""}`,
      "aria-pressed": same(now[o], v) ? "true" : "false", "data-value": key(v),
      onclick: () => { cursor = o; setValue(o, v); }}, SHORT[key(v)]));
    const rules = rulesFor(r, o);
    box.append(el("div", {class: classes.join(" "), "data-obs": name},
      el("div", {class: "cell-name", onclick: () => { cursor = o; draw(); }},
        r.focus.includes(o) ? el("span", {class: "star", title: "drawn for this label"}, "★ ") : null, name,
        changed ? el("span", {class: "was", title: "predicted"}, ` was ${SHORT[key(r.predicted[o])]}`) : null),
      el("div", {class: "choices"}, buttons),
      rules.length ? el("div", {class: "cell-rule muted"}, rules.join(", ")) : null));
  });
}

function drawAsk(i) {
  const r = report(i), ask = document.getElementById("ask"), o = cursor;
  const v = values(i)[o], rules = rulesFor(r, o);
  ask.replaceChildren(
    el("span", {class: "ask-name"}, (r.focus.includes(o) ? "★ " : "") + OBS[o]),
    el("span", {class: "ask-value v" + key(v)}, `${SHORT[key(v)]} ${NAMES[key(v)]}`),
    rules.length ? el("span", {class: "muted"}, `decided by ${rules.join(", ")}`)
                 : el("span", {class: "muted"}, v === null ? "not mentioned" : ""),
    el("span", {class: "ask-keys muted"}, "Enter: all right · 1 0 u x: set this label"));
}

function draw() {
  const i = state.at, r = report(i), done = nConfirmed();
  document.getElementById("title").textContent = D.title;
  document.getElementById("progress").textContent =
    `${done} / ${N} confirmed · report ${i + 1} of ${N}`;
  document.getElementById("progress-fill").style.width = `${(100 * done / N).toFixed(1)}%`;
  const status = confirmed(i) ? el("span", {class: "status confirmed"}, `confirmed${row(i).reviewer ? " by " + row(i).reviewer : ""}`)
                              : el("span", {class: "status"}, "unreviewed");
  document.getElementById("meta").replaceChildren(el("span", {}, 
    el("span", {class: "rid"}, `${D.id_column} ${r.id}`), status,
    r.reason ? el("span", {class: "muted"}, `drawn: ${r.reason}`) : null,
    r.focus.length ? el("span", {class: "muted"}, "for " + r.focus.map((o) => OBS[o]).join(", ")) : null));
  const text = document.getElementById("text"), parts = document.getElementById("parts");
  text.replaceChildren(); parts.replaceChildren();
  text.lang = D.language === "zh" ? "zh-CN" : "en";
  if (D.language === "zh" && r.parts) drawChinese(r, text, parts);
  else if (r.marks) drawEnglish(r, text);
  else text.textContent = r.text;
  const derived = document.getElementById("derived");
  derived.replaceChildren(...(r.derived || []).filter((d) => d.o === cursor).map((d) =>
    el("div", {class: "muted"}, `${OBS[d.o]} ${NAMES[key(d.v)]} by report-level rule ${d.rule}`)));
  drawAsk(i);
  drawCells(i);
  document.getElementById("reviewer").value = state.reviewer;
}

// ---- reviewed.csv out and in ----

function reviewedCsv() {
  const rows = [[D.id_column, ...OBS, "reviewer", "reviewed_at", "status"]];
  for (let i = 0; i < N; i++) {
    const r = row(i);
    rows.push([report(i).id, ...values(i).map(valueText), r ? r.reviewer : "", r ? r.reviewed_at : "",
               confirmed(i) ? "confirmed" : "unreviewed"]);
  }
  return toCsv(rows);
}

// A reviewed.csv from this sample: its confirmed rows replace what is here; its unreviewed rows fill in only
// reports not confirmed here, so loading never undoes a confirmation.
function loadReviewed(text) {
  const rows = parseCsv(text);
  if (!rows.length) throw new Error("the file is empty");
  const head = rows[0], at = (name) => head.indexOf(name);
  const missing = [D.id_column, ...OBS].filter((name) => at(name) < 0);
  if (missing.length) throw new Error(`it has no column ${JSON.stringify(missing[0])}; load a reviewed.csv of this sample`);
  const byId = new Map(D.reports.map((r, i) => [r.id, i]));
  let confirmedRows = 0, openRows = 0, unknown = 0;
  const updates = [];
  rows.slice(1).forEach((cells, line) => {
    const i = byId.get(cells[at(D.id_column)]);
    if (i === undefined) { unknown++; return; }
    const vals = OBS.map((name) => {
      try { return parseValue(cells[at(name)] || ""); } catch (e) { throw new Error(`line ${line + 2}, ${name}: ${e.message}`); }
    });
    const status = at("status") >= 0 ? cells[at("status")] : "confirmed";
    updates.push([i, {values: vals, status: status === "confirmed" ? "confirmed" : "unreviewed",
                      reviewer: at("reviewer") >= 0 ? cells[at("reviewer")] || "" : "",
                      reviewed_at: at("reviewed_at") >= 0 ? cells[at("reviewed_at")] || "" : ""}]);
  });
  for (const [i, incoming] of updates) {
    if (incoming.status === "confirmed") { state.rows[report(i).id] = incoming; confirmedRows++; }
    else if (!confirmed(i)) { state.rows[report(i).id] = incoming; openRows++; }
  }
  const next = confirmed(state.at) ? nextUnconfirmed(state.at) : state.at;
  if (next !== null) state.at = next;
  save();
  startCursor();
  draw();
  notice(`Loaded ${confirmedRows} confirmed and ${openRows} unreviewed reports` +
         (unknown ? `; ${unknown} rows have ids that are not in this sample and were left out.` : "."));
}

// ---- keys and controls ----

document.addEventListener("keydown", (event) => {
  const help = document.getElementById("help");
  if (event.target instanceof HTMLInputElement) {
    if (event.key === "Escape" || event.key === "Enter") event.target.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const k = event.key;
  if (k === "?" || (k === "Escape" && !help.classList.contains("hidden"))) {
    help.classList.toggle("hidden", k === "Escape" ? true : undefined);
  } else if (k in KEYS) {
    setValue(cursor, KEYS[k]);
  } else if (k === "Enter") {
    confirm();
  } else if (k === "ArrowDown" || k === "j") {
    cursor = Math.min(OBS.length - 1, cursor + 1); draw();
  } else if (k === "ArrowUp" || k === "k") {
    cursor = Math.max(0, cursor - 1); draw();
  } else if (k === "ArrowRight" || k === "n") {
    go(state.at + 1);
  } else if (k === "ArrowLeft" || k === "p") {
    go(state.at - 1);
  } else if (k === "g") {
    const next = nextUnconfirmed(state.at);
    if (next !== null) go(next); else notice(`All ${N} reports are confirmed.`);
  } else {
    return;
  }
  event.preventDefault();
});

document.getElementById("reviewer").addEventListener("input", (event) => {
  state.reviewer = event.target.value.trim();
  save();
});
document.getElementById("download").addEventListener("click", () => {
  if (!state.reviewer) notice("Tip: type your name in Reviewer, so reviewed.csv says who reviewed each report.");
  download("reviewed.csv", reviewedCsv());
});
document.getElementById("load").addEventListener("click", () => document.getElementById("load-file").click());
document.getElementById("load-file").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  file.text().then((text) => {
    try { loadReviewed(text); } catch (e) { notice(`${file.name}: not loaded: ${e.message}`, true); }
    event.target.value = "";
  });
});
document.getElementById("help-toggle").addEventListener("click",
  () => document.getElementById("help").classList.toggle("hidden"));

state.at = Math.max(0, Math.min(N - 1, state.at || 0));
startCursor();
draw();
if (!autosave.save(D.key + ":probe", 1)) notice(UNSAVED, true);  // the review is saved on its first change, not before
autosave.forget(D.key + ":probe");
