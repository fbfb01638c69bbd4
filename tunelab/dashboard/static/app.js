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
  app.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined));
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

// Every figure comes from the server, built by tunelab.visualization (the report's figures too).
function drawFigure(id, fig) {
  const layout = Object.assign({}, fig.layout, { autosize: true });
  delete layout.width;
  if (!layout.height) layout.height = 340;
  Plotly.react(id, fig.data, layout, PLOT_CONFIG);
}

function setNote(id, text) {
  const note = document.getElementById(id + "-note");
  if (note) note.textContent = text;
}

function table(id, rows) {
  if (!rows.length) return el("p", { id, class: "muted" }, "none");
  const cols = [];
  rows.forEach((r) => Object.keys(r).forEach((k) => { if (!cols.includes(k)) cols.push(k); }));
  return el("table", { id }, el("thead", {}, el("tr", {}, cols.map((c) => el("th", {}, c)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, cols.map((c) => el("td", { class: typeof r[c] === "number" ? "num" : null }, fmt(r[c])))))));
}

async function studyPage(id) {
  const mine = page;
  const base = `/api/studies/${id}`;
  const study = await api(base);
  const minimize = study.directions[0] === "minimize";
  const multi = study.directions.length > 1;
  const table_ = { sort: "number", desc: true, offset: 0, limit: 50, state: "", min: "", max: "" };
  const selected = new Set();
  let axes = null; // the parameters drawn as parallel axes (null: the server's default)
  let revision = study.revision;

  const counts = el("p", { id: "counts" });
  const topInput = el("input", { id: "top", type: "number", min: "1", max: "100", step: "1", value: "100", title: "percent" });
  const paramBox = el("div", { id: "param-choices", class: "choices" });
  const stateSel = el("select", { id: "state-filter" }, el("option", { value: "" }, "all states"), STATES.map((s) => el("option", { value: s }, s.toLowerCase())));
  const vmin = el("input", { id: "vmin", type: "number", step: "any", placeholder: "min value" });
  const vmax = el("input", { id: "vmax", type: "number", step: "any", placeholder: "max value" });
  const csv = el("a", { id: "csv", download: `study-${id}-trials.csv` }, "export CSV");
  const pager = el("span", { id: "pager", class: "muted" });
  const tbody = el("tbody", { id: "trial-rows" });
  const thead = el("thead");
  const objectives = study.objectives.slice(0, 4);
  const historyIds = objectives.map((_, i) => (i ? `history-${i}` : "history"));

  show(el("h1", { id: "study-name" }, study.name),
    el("p", {}, `objectives: ${study.objectives.map((n, i) => `${n} (${study.directions[i]})`).join(", ")}`), counts,
    multi ? el("div", { class: "card wide", id: "front-card" }, el("h2", {}, "Pareto front"),
      el("p", { id: "pareto-note", class: "muted" }), el("div", { id: "pareto", class: "plot" }),
      el("h2", {}, "Trade-offs: the trials on the front"), el("div", { id: "tradeoffs", class: "scroll" })) : null,
    el("div", { class: "grid" },
      historyIds.map((hid, i) => plotBox(hid, multi ? `History of ${objectives[i]}` : "Optimization history", true)),
      el("div", { class: "card span2" }, el("h2", {}, "Parallel coordinates"),
        el("div", { class: "controls" }, el("label", {}, "top ", topInput, " %"), el("span", { id: "parallel-note", class: "muted" })),
        el("details", { id: "param-picker" }, el("summary", {}, "axes (parameters)"), paramBox),
        el("div", { id: "parallel", class: "plot" })),
      plotBox("importance", "Parameter importance", true),
      plotBox("intermediate", "Intermediate values (× pruned)", true),
      plotBox("timeline", "Timeline per worker", true),
      plotBox("lr", "Learning rate of the selected trials", true),
      study.pbt ? plotBox("pbt", "Population lineage (who copied whom)", true) : null,
      study.schedules.map((name, i) => plotBox(`families-${i}`, `Schedule families of ${name}`))),
    el("h2", {}, "Trials"),
    el("div", { class: "controls" }, stateSel, vmin, vmax, el("button", { id: "prev" }, "‹ prev"), el("button", { id: "next" }, "next ›"), pager, csv),
    el("table", { id: "trials" }, thead, tbody));

  const query = () => new URLSearchParams({ sort: table_.sort, desc: table_.desc ? "1" : "0", state: table_.state, min: table_.min, max: table_.max });
  const renderCounts = (s) => {
    counts.replaceChildren(`${s.n_trials} trials: `, ...STATES.map((st) => el("span", { class: `state-${st}` }, `${(s.by_state[st] || 0)} ${st.toLowerCase()} `)),
      s.best && !multi ? el("span", {}, " · best ", el("a", { href: `#/study/${id}/trial/${s.best.number}` }, `#${s.best.number}`), ` = ${fmt(s.best.value)}`) : "");
  };
  const loadTable = async () => {
    const q = query();
    csv.setAttribute("href", `${base}/trials.csv?${q}`);
    q.set("offset", table_.offset); q.set("limit", table_.limit);
    const data = await api(`${base}/trials?${q}`);
    if (mine !== page) return;
    const constrained = data.rows.some((r) => r.feasible !== null);
    const heads = [["", null], ["#", "number"], ["state", "state"], ["value", "value"], ...(constrained ? [["feasible", null]] : []),
      ["duration s", "duration"], ["worker", "worker"], ...data.params.map((n) => [n, `params.${n}`])];
    thead.replaceChildren(el("tr", {}, heads.map(([label, key]) => el("th", key ? { class: "sortable", "data-sort": key, onclick: () => {
      table_.desc = table_.sort === key ? !table_.desc : false; table_.sort = key; table_.offset = 0; loadTable(); } } : {},
      label, key === table_.sort ? (table_.desc ? " ▼" : " ▲") : ""))));
    tbody.replaceChildren(...data.rows.map((r) => el("tr", { "data-number": r.number },
      el("td", {}, el("input", { type: "checkbox", class: "pick", checked: selected.has(r.number), onchange: (ev) => {
        if (ev.target.checked) selected.add(r.number); else selected.delete(r.number); loadLr(); } })),
      el("td", { class: "num" }, el("a", { href: `#/study/${id}/trial/${r.number}` }, r.number)),
      el("td", { class: `state-${r.state}` }, r.state.toLowerCase()),
      el("td", { class: "num" }, multi && r.values ? r.values.map(fmt).join(", ") : fmt(r.value)),
      constrained ? el("td", { class: r.feasible === false ? "infeasible" : null }, r.feasible === null ? "" : (r.feasible ? "yes" : "no")) : null,
      el("td", { class: "num" }, fmt(r.duration)), el("td", {}, fmt(r.worker)),
      data.params.map((n) => el("td", { class: "num" }, fmt(r.params[n]))))));
    pager.textContent = `${data.total ? table_.offset + 1 : 0}–${Math.min(table_.offset + table_.limit, data.total)} of ${data.total}`;
  };
  const loadLr = async () => {
    if (!selected.size) {
      const best = await api(`${base}/trials?sort=value&desc=${minimize ? 0 : 1}&state=COMPLETE&limit=5`);
      best.rows.forEach((r) => selected.add(r.number));
    }
    drawFigure("lr", (await api(`${base}/lr?trials=${[...selected].join(",")}`)).figure);
  };
  const loadHistory = () => Promise.all(historyIds.map((hid, i) => api(`${base}/history?objective=${i}`).then((h) => {
    drawFigure(hid, h.figure);
    setNote(hid, h.n_shown < h.n_complete ? `${h.n_shown} of ${h.n_complete} completed trials shown (every improvement kept)` : `${h.n_complete} completed trials`);
  }).catch((e) => fail(hid, e))));
  const pickers = (p) => {
    paramBox.replaceChildren(...p.available.map((a) => el("label", { class: "choice" },
      el("input", { type: "checkbox", value: a.name, checked: p.params.includes(a.name), onchange: () => {
        axes = [...paramBox.querySelectorAll("input:checked")].map((i) => i.value);
        loadParallel().catch((e) => fail("parallel", e)); } }),
      ` ${a.name} `, el("span", { class: "muted" }, `(${a.count} of ${p.n_lines})`))));
  };
  const loadParallel = async () => {
    const q = new URLSearchParams({ top: topInput.value || 100 });
    if (axes !== null) q.set("params", JSON.stringify(axes));
    const p = await api(`${base}/parallel?${q}`);
    drawFigure("parallel", p.figure);
    pickers(p);
    document.getElementById("parallel-note").textContent =
      `top ${p.n_selected} of ${p.n_complete} completed trials (${p.n_lines} lines drawn; darker = better); ${p.params.length} of ${p.available.length} parameters as axes`;
  };
  const loadPareto = async () => {
    if (!multi) return;
    const f = await api(`${base}/pareto`);
    if (f.figure) drawFigure("pareto", f.figure);
    setNote("pareto", `${f.n_front} trials on the front of ${f.n_complete} completed` + (f.n_infeasible ? `; ${f.n_infeasible} infeasible (grey: a constraint above 0)` : ""));
    document.getElementById("tradeoffs").replaceChildren(table("tradeoff-table", f.table));
  };
  const loadFamilies = async () => {
    if (!study.schedules.length) return;
    const f = await api(`${base}/families`);
    f.figures.forEach((item, i) => drawFigure(`families-${i}`, item.figure));
  };
  const loadLineage = async () => {
    if (!study.pbt) return;
    const d = await api(`${base}/pbt`);
    if (d.figure) { drawFigure("pbt", d.figure); setNote("pbt", `${d.n_intervals} finished intervals; dashed: a member copied a better one; bold: the winner's lineage`); }
  };
  const loadPlots = () => Promise.all([
    loadHistory(),
    loadParallel().catch((e) => fail("parallel", e)),
    api(`${base}/importance`).then((d) => { drawFigure("importance", d.figure);
      setNote("importance", `fANOVA main effects on ${d.n_used} of ${d.n_complete} completed trials; ± spread over trees; grey: set in too few trials to estimate`); })
      .catch((e) => fail("importance", e)),
    api(`${base}/intermediate`).then((d) => { drawFigure("intermediate", d.figure); setNote("intermediate", `${d.n_shown} trials shown: the best, the latest pruned and running, a spread`); })
      .catch((e) => fail("intermediate", e)),
    api(`${base}/timeline`).then((d) => { drawFigure("timeline", d.figure); setNote("timeline", `the ${d.n_shown} most recent of ${d.n_total} trials`); })
      .catch((e) => fail("timeline", e)),
    loadLr().catch((e) => fail("lr", e)),
    loadPareto().catch((e) => fail("pareto", e)),
    loadFamilies().catch((e) => study.schedules.forEach((_, i) => fail(`families-${i}`, e))),
    loadLineage().catch((e) => fail("pbt", e)),
  ]);

  topInput.addEventListener("change", () => loadParallel().catch((e) => fail("parallel", e)));
  const refilter = () => { table_.state = stateSel.value; table_.min = vmin.value; table_.max = vmax.value; table_.offset = 0; loadTable(); };
  stateSel.addEventListener("change", refilter); vmin.addEventListener("change", refilter); vmax.addEventListener("change", refilter);
  document.getElementById("prev").addEventListener("click", () => { table_.offset = Math.max(0, table_.offset - table_.limit); loadTable(); });
  document.getElementById("next").addEventListener("click", () => { table_.offset += table_.limit; loadTable(); });

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
    await Promise.all([loadTable(), loadHistory()]);
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
  const feasible = t.constraints === null ? "" : (t.constraints.every((c) => c <= 0) ? " · feasible" : " · infeasible (a constraint above 0)");
  show(el("p", {}, el("a", { href: `#/study/${id}` }, "‹ study")),
    el("h1", {}, `Trial #${t.number} `, el("span", { class: `state-${t.state}` }, t.state.toLowerCase())),
    el("p", {}, `value: ${t.values ? t.values.map(fmt).join(", ") : "—"} · started ${t.start || "—"} · finished ${t.complete || "—"}${feasible}`),
    el("div", { class: "grid" },
      el("div", { class: "card" }, el("h2", {}, "Parameters"), kvTable("params", t.params)),
      plotBox("schedule", "Learning-rate schedule", true),
      plotBox("trial-intermediate", "Intermediate values"),
      el("div", { class: "card" }, el("h2", {}, "User attributes"), kvTable("user-attrs", t.user_attrs),
        el("h2", {}, "System attributes"), kvTable("system-attrs", t.system_attrs))),
    el("h2", {}, "Log"), el("pre", { id: "log" }, t.log.length ? t.log.join("\n") : "(nothing logged)"));
  const curves = t.figures.curves;
  setNote("schedule", curves.length ? curves.map((c) => (c.source === "lr_trace" ? "applied rates (lr_trace)" : `${c.name} = ${c.repr}`)).join("; ") : "no schedule or lr_trace stored");
  drawFigure("schedule", t.figures.schedule);
  drawFigure("trial-intermediate", t.figures.intermediate);
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
