"""The self-contained ``report.html``: figures, the schedule-family comparison and the trial table.

Everything the page needs is inside it (plotly.js inlined from the installed ``plotly`` package,
extra ``plot``); every string that comes from the study (names, parameters, reasons, paths) is
HTML-escaped, and JSON inside ``<script>`` has ``<`` escaped so no value can close the tag.
"""

from __future__ import annotations

import datetime
import html
import math
import statistics
from pathlib import Path
from typing import Any

from tunelab._errors import InvalidArgumentError, require_extra
from tunelab.reporting import _figures as F
from tunelab.reporting._code import keras_code, plain_params, torch_code
from tunelab.reporting._safe import dumps, plotly_safe
from tunelab.runner._protocol import LOG_ATTR, SCHEDULE_STEPS_ATTR


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _script_json(value: Any) -> str:
    """JSON for inside ``<script>``: no ``<`` or ``>`` that could close the tag, no NaN that JSON.parse refuses."""
    return dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e")


#: The longest schedule horizon the report draws (a stored horizon beyond it is ignored).
MAX_STEPS = 10**9


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def family_rows(trials: list[Any], minimize: bool, name: str) -> list[dict[str, Any]]:
    """Per schedule family of parameter ``name``: trials, best and median value (COMPLETE trials)."""
    by: dict[str, list[float]] = {}
    for t in trials:
        fam = t.params.get(f"{name}.family")
        if fam is not None and t.state.name == "COMPLETE" and math.isfinite(t.values[0]):
            by.setdefault(fam, []).append(t.values[0])
    rows = [{"family": f, "trials": len(v), "best": (min if minimize else max)(v), "median": statistics.median(v)}
            for f, v in by.items()]
    return sorted(rows, key=lambda r: r["best"] if minimize else -r["best"])


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
    return (f"Best decaying schedule ({d['family']}, {d['trials']} trials): {metric} = {d['best']:.5g}; best "
            f"constant learning rate ({c['trials']} trials): {metric} = {c['best']:.5g}. The decaying schedule "
            f"is {'better' if better else 'not better'} by {diff:.3g}{rel}. Measured in this study, from the "
            "trials each family received.")


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_e(_fmt(r.get(c, '')))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def trial_rows(trials: list[Any]) -> list[dict[str, Any]]:
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.name,
                               "value": t.values[0] if t.values else "",
                               "duration_s": round(t.duration.total_seconds(), 2) if t.duration else ""}
        row.update(plain_params(t))
        row.update({f"{k} (schedule)": repr(s) for k, s in t.schedules.items()})
        row["fail_reason"] = (t.fail_reason or "")[:300]
        row["log"] = t.user_attrs.get(LOG_ATTR, "")
        rows.append(row)
    return rows


def render(study: Any) -> str:
    """The report page for ``study`` (single objective) as a string."""
    if len(study.directions) != 1:
        raise InvalidArgumentError(f"study {study.study_name!r} has {len(study.directions)} objectives: the HTML "
                                   "report covers single-objective studies")
    plotly_js = _plotly_js()
    trials = study.trials
    minimize = study.direction.name == "MINIMIZE"
    metrics = study.user_attrs.get("metrics")  # user attributes hold anything: use only what fits
    metric = str(metrics[0]) if isinstance(metrics, list) and metrics else "value"
    complete = sorted((t for t in trials if t.state.name == "COMPLETE" and math.isfinite(t.values[0])),
                      key=lambda t: t.values[0] if minimize else -t.values[0])
    nominal = _mapping(study.user_attrs.get(SCHEDULE_STEPS_ATTR))  # the config's horizons, when a script did not say

    def steps_of(t: Any, name: str) -> int:
        for found in (_mapping(t.user_attrs.get(SCHEDULE_STEPS_ATTR)).get(name), nominal.get(name)):
            if isinstance(found, (int, float)) and not isinstance(found, bool) and 1 <= found <= MAX_STEPS:
                return int(found)
        return 1000

    figures = [("history", F.history(trials, minimize, metric)), ("importance", F.importance(trials)),
               ("parallel", F.parallel(trials, minimize, metric)), ("intermediate", F.intermediate(trials, metric))]
    curves = F.lr_curves(complete[:5], steps_of)
    if curves:
        figures.append(("lr", curves))
    schedule_names = sorted({n for t in trials for n in t.schedules})
    family_html = ""
    for name in schedule_names:
        rows = family_rows(trials, minimize, name)
        if rows:
            figures.append((f"families-{name}", F.families(rows, metric)))
            family_html += (f"<h3>Schedule {_e(name)}: best value per family</h3>{_table(rows)}"
                            f"<p class='finding'>{_e(comparison(rows, minimize, metric))}</p>"
                            f"<div id='fig-families-{_e(name)}' class='fig'></div>")
    counts: dict[str, int] = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    best_html = "<p>No complete trial yet.</p>"
    if complete:
        b = complete[0]
        best_html = (f"<p>Trial {b.number}: {_e(metric)} = {_e(_fmt(b.values[0]))}</p>"
                     f"{_table([{**plain_params(b), **{k: repr(s) for k, s in b.schedules.items()}}])}"
                     f"<h3>PyTorch</h3><pre>{_e(torch_code(b))}</pre><h3>Keras</h3><pre>{_e(keras_code(b))}</pre>")
    divs = "".join(f"<div id='fig-{_e(k)}' class='fig'></div>" for k, _ in figures
                   if k in ("history", "importance", "parallel", "intermediate", "lr"))
    payload = _script_json({k: plotly_safe(v) for k, v in figures})  # every study string shown as text
    summary = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tunelab report: {_e(study.study_name)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left;max-width:420px;overflow-wrap:anywhere}}
pre{{background:#f5f5f5;padding:8px;font-size:12px;overflow-x:auto}} .fig{{max-width:1200px}}
.finding{{background:#eef6ee;padding:6px;max-width:1100px}} .scroll{{overflow-x:auto}}</style>
<script>{plotly_js}</script></head><body>
<h1>Study {_e(study.study_name)}</h1>
<p>{_e(metric)} ({'minimized' if minimize else 'maximized'}) &middot; {len(trials)} trials: {_e(summary)}
&middot; generated {_e(datetime.datetime.now().isoformat(timespec='seconds'))}</p>
<h2>Best trial</h2>{best_html}
<h2>Learning-rate schedules</h2>{family_html or '<p>The study searched no schedule.</p>'}
<h2>Plots</h2>{divs}
<p>Parameter importance: the correlation ratio (eta squared, one-way ANOVA effect size) of the objective grouped
by each parameter alone (numbers in 4 equal-count bins), normalised to sum to one; interactions are not
counted.</p>
<h2>Trials</h2><div class="scroll">{_table(trial_rows(trials))}</div>
<script>
const figs = {payload};
for (const [key, fig] of Object.entries(figs)) {{
  const el = document.getElementById('fig-' + key);
  if (el) Plotly.newPlot(el, fig.data, fig.layout, {{responsive: true, displaylogo: false}});
}}
</script></body></html>
"""


def _plotly_js() -> str:
    require_extra("plotly", "plot")
    from importlib import resources

    return resources.files("plotly").joinpath("package_data", "plotly.min.js").read_text(encoding="utf-8")


def write_report(study: Any, path: str | Path) -> Path:
    """Write ``study``'s report to ``path`` (an HTML file) and return the path."""
    path = Path(path)
    text = render(study)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
