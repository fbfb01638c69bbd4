// tunelab dashboard: a hash-routed page built with DOM calls only (text goes in as text nodes).
"use strict";

const POLL_MS = 2000;
const PLOTS_EVERY_MS = 8000;
const STATES = ["COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"];
const PLOT_CONFIG = { displaylogo: false, responsive: true };
let timer = null;
let page = 0; // bumped on every navigation so late answers of a left page are dropped

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

async function api(path) {
  const response = await fetch(path, { cache: "no-store" });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function setLive(text) { document.getElementById("live").textContent = text; }

function show(...nodes) {
  const app = document.getElementById("app");
  app.replaceChildren(...nodes);
}

function fail(where, err) {
  const box = document.getElementById(where);
  if (box) box.replaceChildren(el("p", { class: "error" }, String(err.message || err)));
}

function poll(fn) {
  clearTimeout(timer);
  const mine = page;
  const tick = async () => {
    if (mine !== page) return;
    try { await fn(); setLive("live · " + new Date().toLocaleTimeString()); }
    catch (err) { setLive("storage unreachable: " + err.message); }
    if (mine === page) timer = setTimeout(tick, POLL_MS);
  };
  timer = setTimeout(tick, POLL_MS);
}

// ---- study list -------------------------------------------------------------------------------
async function studyList() {
  const mine = page;
  let seen = "";
  const render = async () => {
    const data = await api("/api/studies");
    const text = JSON.stringify(data);
    if (text === seen || mine !== page) return;
    seen = text;
    const rows = data.studies.map((s) => el("tr", { "data-study": s.id },
      el("td", {}, el("a", { href: `#/study/${s.id}`, class: "study-name" }, s.name)),
      el("td", {}, s.directions.join(", ")),
      el("td", { class: "num" }, fmt(s.best)),
      el("td", { class: "num n-trials" }, s.n_trials),
      STATES.map((st) => el("td", { class: `num state-${st}` }, s.by_state[st] || 0)),
      el("td", {}, s.last_update || "")));
    show(el("h1", {}, "Studies"),
      data.studies.length ? el("table", { id: "studies" },
        el("thead", {}, el("tr", {}, ["study", "direction", "best", "trials", ...STATES.map((s) => s.toLowerCase()), "last update"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)) : el("p", {}, "No studies in this storage yet."));
  };
  await render();
  document.body.dataset.ready = "1";
  poll(render);
}

// ---- study page ---------------------------------------------------------------------------------
// A card holding the plot `id`, with a `${id}-note` line above it when `note` is set.
function plotBox(id, title, note) {
  return el("div", { class: "card" }, el("h2", {}, title), note ? el("p", { id: `${id}-note`, class: "muted" }) : null,
    el("div", { id, class: "plot" }));
}

function plot(id, traces, lay) { Plotly.react(id, traces, lay, PLOT_CONFIG); }

function layout(extra, empty) {
  const base = { margin: { l: 60, r: 20, t: 10, b: 45 }, showlegend: false, hovermode: "closest" };
  if (empty) base.annotations = [{ text: "no data yet", xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 16, color: "#66707a" } }];
  return Object.assign(base, extra);
}

// Plotly reads a few HTML tags (<a>, <b>, <br> ...) in labels: user strings go in with entities.
function pt(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function drawHistory(h) {
  const traces = [
    { x: h.numbers, y: h.values, mode: "markers", type: "scatter", name: "value", marker: { size: 5, color: "#5470c6", opacity: 0.6 } },
    { x: h.best_numbers, y: h.best_values, mode: "lines", line: { shape: "hv", color: "#cf222e" }, type: "scatter", name: "best so far" },
  ];
  plot("history", traces, layout({ showlegend: true, legend: { orientation: "h", y: 1.1 },
    xaxis: { title: { text: "trial" } }, yaxis: { title: { text: "objective" } } }));
  document.getElementById("history-note").textContent =
    h.n_shown < h.n_complete ? `${h.n_shown} of ${h.n_complete} completed trials shown (every improvement kept)` : `${h.n_complete} completed trials`;
}

function drawParallel(p) {
  const k = p.axes.length;
  const norm = p.axes.map((axis, i) => {
    const col = p.columns[i].filter((v) => v !== null);
    const lo = axis.categorical ? 0 : Math.min(...col), hi = axis.categorical ? Math.max(1, axis.choices.length - 1) : Math.max(...col);
    return { lo, hi, span: hi > lo ? hi - lo : 1 };
  });
  const vals = p.values;
  const vlo = Math.min(...vals), vhi = Math.max(...vals), vspan = vhi > vlo ? vhi - vlo : 1;
  const buckets = 5, traces = [];
  const colors = ["#08306b", "#2171b5", "#6baed6", "#c6dbef", "#e5e5e5"];
  for (let b = buckets - 1; b >= 0; b--) {
    const x = [], y = [];
    vals.forEach((_, i) => { // lines come best first
      if (Math.floor((i * buckets) / Math.max(1, vals.length)) !== b) return;
      p.axes.forEach((_, a) => { const v = p.columns[a][i]; x.push(a); y.push(v === null ? null : (v - norm[a].lo) / norm[a].span); });
      x.push(k); y.push((vals[i] - vlo) / vspan); x.push(null); y.push(null);
    });
    traces.push({ x, y, mode: "lines", type: "scatter", hoverinfo: "skip", line: { width: 1, color: colors[b] }, connectgaps: false });
  }
  const notes = [];
  const label = (axis, v) => pt(axis.categorical ? axis.choices[Math.round(v)] : fmt(axis.log ? Math.pow(10, v) : v));
  p.axes.forEach((axis, a) => {
    notes.push({ x: a, y: 1.04, text: label(axis, norm[a].hi), showarrow: false, font: { size: 10 } });
    notes.push({ x: a, y: -0.04, text: label(axis, norm[a].lo), showarrow: false, font: { size: 10 } });
  });
  notes.push({ x: k, y: 1.04, text: fmt(vhi), showarrow: false, font: { size: 10 } });
  notes.push({ x: k, y: -0.04, text: fmt(vlo), showarrow: false, font: { size: 10 } });
  const shapes = [...Array(k + 1).keys()].map((a) => ({ type: "line", x0: a, x1: a, y0: 0, y1: 1, line: { color: "#888", width: 1 } }));
  const names = p.axes.map((axis) => pt(axis.name) + (axis.log ? " (log)" : "")).concat(["objective"]);
  plot("parallel", traces, layout({ shapes, annotations: notes,
    xaxis: { tickvals: [...Array(k + 1).keys()], ticktext: names, range: [-0.3, k + 0.3], zeroline: false, showgrid: false },
    yaxis: { visible: false, range: [-0.1, 1.1] } }, !vals.length));
  document.getElementById("parallel-note").textContent =
    `top ${p.n_selected} of ${p.n_complete} completed trials (${p.numbers.length} lines drawn; darker = better)`;
}

function drawImportance(imp) {
  const ps = imp.params.slice().reverse();
  plot("importance", [{ type: "bar", orientation: "h", x: ps.map((p) => p.score), y: ps.map((p) => pt(p.name)), marker: { color: "#5470c6" } }],
    layout({ margin: { l: 140, r: 20, t: 10, b: 45 }, xaxis: { title: { text: "share of rank variance explained" }, range: [0, 1] } }, !ps.length));
}

function drawIntermediate(data) {
  const colors = { COMPLETE: "#8aa0d8", PRUNED: "#e8a87c", RUNNING: "#0969da", FAIL: "#cf222e" };
  const traces = data.curves.map((c) => ({ x: c.steps, y: c.values, mode: "lines", type: "scatter", name: `#${c.number}`,
    line: { width: 1, color: colors[c.state] || "#999" } }));
  const pruned = data.curves.filter((c) => c.state === "PRUNED" && c.steps.length);
  traces.push({ x: pruned.map((c) => c.steps[c.steps.length - 1]), y: pruned.map((c) => c.values[c.values.length - 1]),
    text: pruned.map((c) => `#${c.number} pruned`), mode: "markers", type: "scatter", name: "pruned",
    marker: { symbol: "x", size: 8, color: "#bc4c00" } });
  plot("intermediate", traces, layout({ xaxis: { title: { text: "step" } }, yaxis: { title: { text: "intermediate value" } } }, !data.curves.length));
}

function drawTimeline(data) {
  const colors = { COMPLETE: "#1a7f37", PRUNED: "#bc4c00", FAIL: "#cf222e", RUNNING: "#0969da", WAITING: "#999" };
  const traces = STATES.map((st) => {
    const x = [], y = [], text = [];
    data.bars.filter((b) => b.state === st).forEach((b) => { x.push(b.start, b.end, null); y.push(pt(b.worker), pt(b.worker), null); text.push(`#${b.number}`, `#${b.number}`, null); });
    return { x, y, text, mode: "lines", type: "scatter", name: st.toLowerCase(), line: { width: 8, color: colors[st] } };
  }).filter((t) => t.x.length);
  plot("timeline", traces, layout({ showlegend: true, legend: { orientation: "h", y: 1.12 },
    xaxis: { type: "date" }, yaxis: { type: "category", automargin: true } }, !traces.length));
}

function drawLr(data, where) {
  const traces = data.curves.map((c) => ({ x: c.steps, y: c.values, mode: "lines", type: "scatter",
    name: c.source === "lr_trace" ? `#${c.number} applied` : `#${c.number} ${pt(c.name)}` }));
  plot(where, traces, layout({ showlegend: true, xaxis: { title: { text: "step" } },
    yaxis: { title: { text: "learning rate" }, type: "log" } }, !traces.length));
  const note = document.getElementById(where + "-note");
  if (note) note.textContent = data.curves.length ? "" : "no schedule or lr_trace stored for the selected trials";
}

async function studyPage(id) {
  const mine = page;
  const base = `/api/studies/${id}`;
  const study = await api(base);
  const minimize = study.directions[0] === "minimize";
  const table = { sort: "number", desc: true, offset: 0, limit: 50, state: "", min: "", max: "" };
  const selected = new Set();
  let revision = study.revision;

  const counts = el("p", { id: "counts" });
  const topInput = el("input", { id: "top", type: "number", min: "1", max: "100", step: "1", value: "100", title: "percent" });
  const stateSel = el("select", { id: "state-filter" }, el("option", { value: "" }, "all states"), STATES.map((s) => el("option", { value: s }, s.toLowerCase())));
  const vmin = el("input", { id: "vmin", type: "number", step: "any", placeholder: "min value" });
  const vmax = el("input", { id: "vmax", type: "number", step: "any", placeholder: "max value" });
  const csv = el("a", { id: "csv", download: `study-${id}-trials.csv` }, "export CSV");
  const pager = el("span", { id: "pager", class: "muted" });
  const tbody = el("tbody", { id: "trial-rows" });
  const thead = el("thead");

  show(el("h1", { id: "study-name" }, study.name), el("p", {}, `direction: ${study.directions.join(", ")}`), counts,
    el("div", { class: "grid" },
      plotBox("history", "Optimization history", true),
      el("div", { class: "card" }, el("h2", {}, "Parallel coordinates"),
        el("div", { class: "controls" }, el("label", {}, "top ", topInput, " %"), el("span", { id: "parallel-note", class: "muted" })),
        el("div", { id: "parallel", class: "plot" })),
      plotBox("importance", "Parameter importance"),
      plotBox("intermediate", "Intermediate values (× pruned)"),
      plotBox("timeline", "Timeline per worker"),
      plotBox("lr", "Learning rate of the selected trials", true)),
    el("h2", {}, "Trials"),
    el("div", { class: "controls" }, stateSel, vmin, vmax, el("button", { id: "prev" }, "‹ prev"), el("button", { id: "next" }, "next ›"), pager, csv),
    el("table", { id: "trials" }, thead, tbody));

  const query = () => new URLSearchParams({ sort: table.sort, desc: table.desc ? "1" : "0", state: table.state, min: table.min, max: table.max });
  const renderCounts = (s) => {
    counts.replaceChildren(`${s.n_trials} trials: `, ...STATES.map((st) => el("span", { class: `state-${st}` }, `${(s.by_state[st] || 0)} ${st.toLowerCase()} `)),
      s.best ? el("span", {}, " · best ", el("a", { href: `#/study/${id}/trial/${s.best.number}` }, `#${s.best.number}`), ` = ${fmt(s.best.value)}`) : "");
  };
  const loadTable = async () => {
    const q = query();
    csv.setAttribute("href", `${base}/trials.csv?${q}`);
    q.set("offset", table.offset); q.set("limit", table.limit);
    const data = await api(`${base}/trials?${q}`);
    if (mine !== page) return;
    const heads = [["", null], ["#", "number"], ["state", "state"], ["value", "value"], ["duration s", "duration"], ["worker", "worker"],
      ...data.params.map((n) => [n, `params.${n}`])];
    thead.replaceChildren(el("tr", {}, heads.map(([label, key]) => el("th", key ? { class: "sortable", "data-sort": key, onclick: () => {
      table.desc = table.sort === key ? !table.desc : false; table.sort = key; table.offset = 0; loadTable(); } } : {},
      label, key === table.sort ? (table.desc ? " ▼" : " ▲") : ""))));
    tbody.replaceChildren(...data.rows.map((r) => el("tr", { "data-number": r.number },
      el("td", {}, el("input", { type: "checkbox", class: "pick", checked: selected.has(r.number), onchange: (ev) => {
        if (ev.target.checked) selected.add(r.number); else selected.delete(r.number); loadLr(); } })),
      el("td", { class: "num" }, el("a", { href: `#/study/${id}/trial/${r.number}` }, r.number)),
      el("td", { class: `state-${r.state}` }, r.state.toLowerCase()),
      el("td", { class: "num" }, fmt(r.value)), el("td", { class: "num" }, fmt(r.duration)), el("td", {}, fmt(r.worker)),
      data.params.map((n) => el("td", { class: "num" }, fmt(r.params[n]))))));
    pager.textContent = `${data.total ? table.offset + 1 : 0}–${Math.min(table.offset + table.limit, data.total)} of ${data.total}`;
  };
  const loadLr = async () => {
    if (!selected.size) {
      const best = await api(`${base}/trials?sort=value&desc=${minimize ? 0 : 1}&state=COMPLETE&limit=5`);
      best.rows.forEach((r) => selected.add(r.number));
    }
    drawLr(await api(`${base}/lr?trials=${[...selected].join(",")}`), "lr");
  };
  const loadParallel = async () => drawParallel(await api(`${base}/parallel?top=${encodeURIComponent(topInput.value || 100)}`));
  const loadPlots = () => Promise.all([
    api(`${base}/history`).then(drawHistory).catch((e) => fail("history", e)),
    loadParallel().catch((e) => fail("parallel", e)),
    api(`${base}/importance`).then(drawImportance).catch((e) => fail("importance", e)),
    api(`${base}/intermediate`).then(drawIntermediate).catch((e) => fail("intermediate", e)),
    api(`${base}/timeline`).then(drawTimeline).catch((e) => fail("timeline", e)),
    loadLr().catch((e) => fail("lr", e)),
  ]);

  topInput.addEventListener("change", () => loadParallel().catch((e) => fail("parallel", e)));
  const refilter = () => { table.state = stateSel.value; table.min = vmin.value; table.max = vmax.value; table.offset = 0; loadTable(); };
  stateSel.addEventListener("change", refilter); vmin.addEventListener("change", refilter); vmax.addEventListener("change", refilter);
  document.getElementById("prev").addEventListener("click", () => { table.offset = Math.max(0, table.offset - table.limit); loadTable(); });
  document.getElementById("next").addEventListener("click", () => { table.offset += table.limit; loadTable(); });

  renderCounts(study);
  await Promise.all([loadTable(), loadPlots()]);
  if (mine !== page) return;
  document.body.dataset.ready = "1";

  let plotsAt = Date.now();
  poll(async () => {
    const up = await api(`${base}/updates?since=${revision}`);
    if (mine !== page || !up.rows.length) return;
    revision = up.revision;
    renderCounts(up);
    const done = up.rows.filter((r) => r.state === "COMPLETE" && r.value !== null);
    if (done.length) Plotly.extendTraces("history", { x: [done.map((r) => r.number)], y: [done.map((r) => r.value)] }, [0]);
    await loadTable();
    if (Date.now() - plotsAt > PLOTS_EVERY_MS) { plotsAt = Date.now(); await loadPlots(); }
  });
}

// ---- trial page ---------------------------------------------------------------------------------
function kvTable(id, obj) {
  const keys = Object.keys(obj);
  if (!keys.length) return el("p", { id, class: "muted" }, "none");
  return el("table", { id }, el("tbody", {}, keys.map((k) => el("tr", {}, el("th", {}, k), el("td", {}, fmt(obj[k]))))));
}

async function trialPage(id, number) {
  const t = await api(`/api/studies/${id}/trials/${number}`);
  show(el("p", {}, el("a", { href: `#/study/${id}` }, "‹ study")),
    el("h1", {}, `Trial #${t.number} `, el("span", { class: `state-${t.state}` }, t.state.toLowerCase())),
    el("p", {}, `value: ${t.values ? t.values.map(fmt).join(", ") : "—"} · started ${t.start || "—"} · finished ${t.complete || "—"}`),
    el("div", { class: "grid" },
      el("div", { class: "card" }, el("h2", {}, "Parameters"), kvTable("params", t.params)),
      plotBox("schedule", "Learning-rate schedule", true),
      plotBox("trial-intermediate", "Intermediate values"),
      el("div", { class: "card" }, el("h2", {}, "User attributes"), kvTable("user-attrs", t.user_attrs),
        el("h2", {}, "System attributes"), kvTable("system-attrs", t.system_attrs))),
    el("h2", {}, "Log"), el("pre", { id: "log" }, t.log.length ? t.log.join("\n") : "(nothing logged)"));
  const trace = t.user_attrs.lr_trace;
  const curves = t.schedules.map((c) => ({ x: c.steps, y: c.values, mode: "lines", type: "scatter", name: pt(`${c.name}: ${c.repr}`) }));
  if (Array.isArray(trace) && trace.length) {
    curves.push({ x: trace.map((p) => p[0]), y: trace.map((p) => p[1]), mode: "markers", type: "scatter", name: "applied (lr_trace)", marker: { size: 4 } });
  }
  document.getElementById("schedule-note").textContent = curves.length ? t.schedules.map((c) => `${c.name} = ${c.repr}`).join("; ") : "no schedule or lr_trace stored";
  plot("schedule", curves, layout({ showlegend: true, legend: { orientation: "h", y: -0.25 }, xaxis: { title: { text: "step" } },
    yaxis: { title: { text: "learning rate" }, type: "log" } }, !curves.length));
  plot("trial-intermediate", [{ x: t.intermediate.steps, y: t.intermediate.values, mode: "lines+markers", type: "scatter" }],
    layout({ xaxis: { title: { text: "step" } } }, !t.intermediate.steps.length));
  document.body.dataset.ready = "1";
}

// ---- routing ------------------------------------------------------------------------------------
async function route() {
  page += 1;
  clearTimeout(timer);
  delete document.body.dataset.ready;
  setLive("");
  const hash = location.hash.replace(/^#/, "");
  let m;
  try {
    if ((m = hash.match(/^\/study\/(\d+)\/trial\/(\d+)$/))) await trialPage(m[1], m[2]);
    else if ((m = hash.match(/^\/study\/(\d+)$/))) await studyPage(m[1]);
    else await studyList();
  } catch (err) {
    show(el("p", { class: "error", id: "error" }, String(err.message || err)));
    document.body.dataset.ready = "error";
  }
}

window.addEventListener("hashchange", route);
route();
