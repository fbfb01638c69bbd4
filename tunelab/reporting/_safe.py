"""Stored values made safe to show: as JSON a browser parses, as plotly text, as CSV cells.

Everything a study holds (its name, parameter names and values, attributes, fail reasons) comes
from users. The report, the dashboard and the command line show it through these functions, so
each rule exists once:

- JSON has no NaN or infinity (Python's ``json`` writes ``NaN`` / ``Infinity``, which a browser's
  ``JSON.parse`` refuses): :func:`json_safe` writes them as the text ``'nan'``, ``'inf'``, ``'-inf'``.
- plotly renders a few HTML tags in its text (``<a href>``, ``<b>`` ...): :func:`plotly_text`
  escapes ``&``, ``<`` and ``>`` (plotly shows those entities as the characters).
- a spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  as a formula: :func:`csv_cell` prefixes such text with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def json_safe(value: Any) -> Any:
    """``value`` as plain JSON data: non-finite floats as their names, times as ISO text.

    >>> json_safe({"a": float("nan"), "b": [1.5, float("-inf")], 3: None})
    {'a': 'nan', 'b': [1.5, '-inf'], '3': None}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(float(value))
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat(timespec="seconds")
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``value`` as JSON text that every JSON parser accepts (see :func:`json_safe`).

    >>> dumps([float("inf"), 1])
    '["inf", 1]'
    """
    return json.dumps(json_safe(value), allow_nan=False, **kwargs)


def plotly_text(text: Any) -> str:
    """``text`` as plotly shows it literally: no tag of it becomes a link or markup.

    >>> plotly_text('<a href="https://x">lr</a> & co')
    '&lt;a href="https://x"&gt;lr&lt;/a&gt; &amp; co'
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plotly_safe(figure: Any, *, digits: int | None = None) -> Any:
    """A plotly figure (or any JSON-like data) with every string passed through :func:`plotly_text`
    and every non-finite number made None (a gap), ready for ``JSON.parse`` and ``Plotly.newPlot``;
    with ``digits``, floats rounded to that many significant digits (a smaller page, the same plot).

    >>> plotly_safe({"data": [{"y": [1.0, float("nan")], "name": "<b>x</b>"}]})
    {'data': [{'y': [1.0, None], 'name': '&lt;b&gt;x&lt;/b&gt;'}]}
    >>> plotly_safe([0.123456789, 12345678.9, 3], digits=4)
    [0.1235, 12350000.0, 3]
    """
    if isinstance(figure, str):
        return plotly_text(figure)
    if isinstance(figure, float):
        if not math.isfinite(figure):
            return None
        return float(f"{figure:.{digits}g}") if digits else figure
    if isinstance(figure, dict):
        return {k: plotly_safe(v, digits=digits) for k, v in figure.items()}
    if isinstance(figure, (list, tuple)):
        return [plotly_safe(v, digits=digits) for v in figure]
    return figure


def hide_url(text: str, url: str | None) -> str:
    """``text`` with the storage ``url`` in it shown as ``redact_url(url)``, and the URL's password
    itself (percent-encoded or not, as drivers quote it) replaced by ``***`` wherever it stands.

    >>> hide_url("storage 'postgresql://bo:pw%2F1@h/db' failed (pw/1)", "postgresql://bo:pw%2F1@h/db")
    "storage 'postgresql://bo:***@h/db' failed (***)"
    """
    if not url:
        return text
    from urllib.parse import unquote, urlsplit

    from tunelab.storage import redact_url

    text = text.replace(url, redact_url(url))
    try:
        password = urlsplit(url).password
    except ValueError:  # not a URL a password can be read from
        return text
    # a very short password would also match ordinary words; one that short is no secret worth the name
    for secret in {password, unquote(password or "")} - {None, ""}:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV cell: None as empty, text a spreadsheet would run as a formula prefixed
    with ``'``; numbers unchanged.

    >>> [csv_cell(v) for v in ("=1+1", "-x", "relu", -0.5, None)]
    ["'=1+1", "'-x", 'relu', -0.5, '']
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``header`` and ``rows`` as CSV text, every cell through :func:`csv_cell`, lines ended by CR LF
    (RFC 4180): a cell holding a line break or a carriage return is quoted and stays in its row.

    >>> csv_table(["name", "value"], [["=1+1", -0.5], ["a\\rb", None]])
    'name,value\\r\\n\\'=1+1,-0.5\\r\\n"a\\rb",\\r\\n'
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
