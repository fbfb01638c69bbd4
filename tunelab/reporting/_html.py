"""The ``report.html`` of a study: figures, the best trial or the Pareto trade-offs, schedule families, trials.

Every figure comes from :mod:`tunelab.visualization` (see :mod:`tunelab.reporting._figures`). The
page works offline: plotly.js is inlined from the installed ``plotly`` package (extra ``plot``), or
with ``include_plotlyjs="directory"`` written once beside the report as ``plotly.min.js`` (a much
smaller report file). Every string that comes from the study (names, parameters, reasons, paths)
is HTML-escaped, and JSON inside ``<script>`` has ``<`` escaped so no value can close the tag. A
large study's page stays small: figures draw a sample (every improvement of the best value kept)
and the table lists the best and the latest trials.
"""

from __future__ import annotations

import datetime
import html
import os
import shutil
from pathlib import Path
from typing import Any

from tunelab._constraints import Options, constrained
from tunelab._errors import require_extra
from tunelab.reporting import _figures as F
from tunelab.reporting._code import keras_code, plain_params, torch_code
from tunelab.reporting._safe import dumps, plotly_safe
from tunelab.runner._protocol import LOG_ATTR
from tunelab.visualization._common import STUDY, is_feasible
from tunelab.visualization._pareto import objective_names, tradeoff_rows

#: Trials listed in the table of a large study: the best, then the latest.
TABLE_BEST, TABLE_LATEST = 100, 100
#: Significant digits of the numbers in the figures' JSON (what a plot or a hover shows).
FIGURE_DIGITS = 5
PLOTLY_FILE = "plotly.min.js"
_PLOTLYJS = Options(True, False, "directory")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _script_json(value: Any) -> str:
    """JSON for inside ``<script>``: no ``<`` or ``>`` that could close the tag, no NaN that JSON.parse refuses."""
    return dumps(value, default=str, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


def comparison(rows: list[dict[str, Any]], minimize: bool, metric: str) -> str:
    """One sentence: the best decaying family against the best constant learning rate."""
    const = [r for r in rows if r["family"] == "constant"]
    decay = [r for r in rows if r["family"] != "constant"]
    if not const or not decay:
        return "Not measured: the study needs complete trials with a constant and with a decaying schedule."
    c, d = const[0], decay[0]
    better = d["best"] < c["best"] if minimize else d["best"] > c["best"]
    diff = abs(d["best"] - c["best"])
    rel = f" ({diff / abs(c['best']):.1%} of the constant's value)" if c["best"] else ""
    return (f"Best decaying schedule ({d['family']}, {d['n']} trials): {metric} = {d['best']:.5g}; best "
            f"constant learning rate ({c['n']} trials): {metric} = {c['best']:.5g}. The decaying schedule "
            f"is {'better' if better else 'not better'} by {diff:.3g}{rel}. Measured in this study, from the "
            "trials each family received.")


def _table(rows: list[dict[str, Any]], *, marks: list[str] | None = None) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join(f"<tr{f' class={marks[i]!r}' if marks and marks[i] else ''}>"
                   + "".join(f"<td>{_e(_fmt(r.get(c, '')))}</td>" for c in cols) + "</tr>" for i, r in enumerate(rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _feasibility(t: Any) -> str:
    if t.constraints is None:
        return ""
    return "yes" if is_feasible(t) else "no: " + ", ".join(f"{c:.4g}" for c in t.constraints if c > 0)


def trial_rows(trials: list[Any], names: list[str]) -> list[dict[str, Any]]:
    constrained_study = any(t.constraints is not None for t in trials)
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.name}
        for i, name in enumerate(names):
            row[name] = t.values[i] if t.values and i < len(t.values) else ""
        if constrained_study:
            row["feasible"] = _feasibility(t)
        row["duration_s"] = round(t.duration.total_seconds(), 2) if t.duration else ""
        row.update(plain_params(t))
        row.update({f"{k} (schedule)": repr(s) for k, s in t.schedules.items()})
        row["fail_reason"] = (t.fail_reason or "")[:300]
        log = t.user_attrs.get(LOG_ATTR, "")
        row["log"] = log if isinstance(log, str) else ""
        rows.append(row)
    for column in ("fail_reason", "log"):  # a column empty in every row is left out
        if all(r[column] == "" for r in rows):
            for r in rows:
                del r[column]
    return rows


def _table_trials(trials: list[Any], best: list[Any]) -> tuple[list[Any], str]:
    """The trials the table lists, and a line saying which when not all."""
    if len(trials) <= TABLE_BEST + TABLE_LATEST:
        return trials, ""
    chosen = {t.number: t for t in best[:TABLE_BEST]}
    for t in trials[-TABLE_LATEST:]:
        chosen.setdefault(t.number, t)
    shown = sorted(chosen.values(), key=lambda t: t.number)
    return shown, (f"<p class='note'>{len(shown)} of {len(trials)} trials: the {TABLE_BEST} best and the "
                   f"{TABLE_LATEST} latest. Every trial: <code>tunelab trials --storage URL --study NAME "
                   "--format csv</code>.</p>")


def _best_section(study: Any, done: list[Any], best: list[Any], names: list[str]) -> str:
    if len(names) > 1:
        rows = tradeoff_rows(study)
        n_front = len(rows)
        return (f"<h2>Pareto front: the trade-offs</h2><p>{n_front} feasible trials that no other trial beats "
                f"in every objective ({', '.join(_e(f'{n} {d.name.lower()}d') for n, d in zip(names, study.directions))}"
                f"), ordered by {_e(names[0])}. Pick the trade-off you need; "
                "infeasible trials (a constraint above 0) are never on the front.</p>"
                f"<div class='scroll'>{_table(rows)}</div>")
    if not best:
        return "<h2>Best trial</h2><p>No complete trial yet.</p>"
    b = best[0]
    note = "" if is_feasible(b) else "<p class='bad'>No complete trial met every constraint: this one is infeasible.</p>"
    return (f"<h2>Best trial</h2>{note}<p>Trial {b.number}: {_e(names[0])} = {_e(_fmt(b.values[0]))}</p>"
            f"{_table([{**plain_params(b), **{k: repr(s) for k, s in b.schedules.items()}}])}"
            f"<h3>PyTorch</h3><pre>{_e(torch_code(b))}</pre><h3>Keras</h3><pre>{_e(keras_code(b))}</pre>")


#: The section heading above each figure of the page.
_HEADINGS = {"pareto": "Pareto front", "importance": "Parameter importance", "parallel": "Parallel coordinates",
             "intermediate": "Intermediate values", "timeline": "Timeline", "lr": "Learning rates of the best trials",
             "pbt-lineage": "Population lineage (who copied whom)"}

_NOTES = {
    "importance": ("Parameter importance: each parameter's share of the value's variance that its main effect "
                   "explains (fANOVA on random forests, seeded), ± its spread over the trees, with how many trials "
                   "set it. A conditional parameter is estimated on the trials that set it and weighed by their "
                   "share; one set in fewer than 10 trials is listed without a number."),
    "parallel": ("Axes: the parameters set in at least half of the complete trials (a trial without one passes "
                 "through 'unset'); log parameters on log axes. Every parameter is in the table below and in "
                 "the dashboard's selectable parallel coordinates."),
}


@constrained({"study": STUDY, "include_plotlyjs": _PLOTLYJS}, where="render")
def render(study: Any, *, include_plotlyjs: bool | str = True) -> str:
    """The report page for ``study`` (one or several objectives) as a string.

    ``include_plotlyjs``: True inlines plotly.js (one self-contained file of about 5 MB);
    ``"directory"`` loads ``plotly.min.js`` from beside the page (:func:`write_report` writes it);
    False leaves it out (the page then needs plotly.js loaded by whatever embeds it).
    """
    trials = study.trials
    names = objective_names(study)
    dirs = list(study.directions)
    done = F.complete(trials)
    best = F.ranked(done, dirs)
    minimize = dirs[0].name == "MINIMIZE"
    if include_plotlyjs is True:
        plotly_tag = f"<script>{_plotly_js()}</script>"
    elif include_plotlyjs == "directory":
        plotly_tag = f"<script src='{PLOTLY_FILE}'></script>"
    else:
        plotly_tag = ""
    figures = F.figures(study, trials, names)
    family_html = ""
    for name, info, spec in F.family_figures(study, trials, names):
        figures.append((f"families-{name}", spec))
        rows = [{"family": r["family"], "trials": r["n"], "best": r["best"], "median": r["median"],
                 "best trial": r["best_number"]} for r in info["rows"]]
        family_html += (f"<h3>Schedule {_e(name)}: families</h3>{_table(rows)}"
                        f"<p class='finding'>{_e(comparison(info['rows'], minimize, names[0]))}</p>"
                        f"<div id='fig-families-{_e(name)}' class='fig'></div>")
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    infeasible = sum(1 for t in done if not is_feasible(t))
    divs = "".join(f"<h3>{_e(_heading(k, names))}</h3><div id='fig-{_e(k)}' class='fig'></div>"
                   + (f"<p class='note'>{_e(_NOTES[k])}</p>" if k in _NOTES else "")
                   for k, _ in figures if not k.startswith("families-"))
    payload = _script_json({k: plotly_safe(v, digits=FIGURE_DIGITS) for k, v in figures})  # study strings as text
    summary = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    if infeasible:
        summary += f" ({infeasible} complete but infeasible)"
    objectives = ", ".join(f"{n} ({d.name.lower()}d)" for n, d in zip(names, dirs))
    shown, table_note = _table_trials(trials, best)
    marks = ["infeasible" if t.constraints is not None and not is_feasible(t) else "" for t in shown]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tunelab report: {_e(study.study_name)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left;max-width:420px;overflow-wrap:anywhere}}
pre{{background:#f5f5f5;padding:8px;font-size:12px;overflow-x:auto}} .fig{{max-width:1200px;min-height:200px}}
.finding{{background:#eef6ee;padding:6px;max-width:1100px}} .scroll{{overflow-x:auto}}
.note{{color:#555;font-size:13px;max-width:1100px}} tr.infeasible td{{color:#999}} .bad{{color:#b00}}</style>
{plotly_tag}</head><body>
<h1>Study {_e(study.study_name)}</h1>
<p>{_e(objectives)} &middot; {len(trials)} trials: {_e(summary)}
&middot; generated {_e(datetime.datetime.now().isoformat(timespec='seconds'))}</p>
{_best_section(study, done, best, names)}
<h2>Learning-rate schedules</h2>{family_html or '<p>The study searched no schedule.</p>'}
<h2>Plots</h2>{divs}
<h2>Trials</h2>{table_note}<div class="scroll">{_table(trial_rows(shown, names), marks=marks)}</div>
<script>
const figs = {payload};
for (const [key, fig] of Object.entries(figs)) {{
  const el = document.getElementById('fig-' + key);
  if (el) Plotly.newPlot(el, fig.data, fig.layout, {{responsive: true, displaylogo: false}});
}}
document.body.dataset.ready = "1";
</script></body></html>
"""


def _heading(key: str, names: list[str]) -> str:
    if key.startswith("history-"):
        i = int(key.split("-", 1)[1])
        return "Optimization history" + (f" of {names[i]}" if len(names) > 1 else "")
    return _HEADINGS.get(key, key)


def _plotly_js() -> str:
    return _plotly_path().read_text(encoding="utf-8")


def _plotly_path() -> Path:
    require_extra("plotly", "plot")
    from importlib import resources

    return Path(str(resources.files("plotly").joinpath("package_data", PLOTLY_FILE)))


@constrained({"study": STUDY, "include_plotlyjs": _PLOTLYJS}, where="write_report")
def write_report(study: Any, path: str | os.PathLike[str], *, include_plotlyjs: bool | str = True) -> Path:
    """Write ``study``'s report to ``path`` (an HTML file) and return the path.

    With ``include_plotlyjs="directory"`` plotly.js is copied from the installed plotly package to
    ``plotly.min.js`` beside the report (once; the report itself is then a few hundred kB).
    """
    path = Path(path)
    text = render(study, include_plotlyjs=include_plotlyjs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if include_plotlyjs == "directory":
        source, target = _plotly_path(), path.parent / PLOTLY_FILE
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target)
    return path
