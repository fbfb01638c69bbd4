"""The table of :func:`tunelab.schedules.space`'s families that docs/schedules.md shows, made from the code.

``python -m tunelab.schedules._space_doc`` rewrites the table in docs/schedules.md (between the
``space-table`` markers); a test checks that the file holds what this module makes.

>>> print(space_table().splitlines()[2])
| `constant` | yes | optax constant_schedule | `lr.constant.initial` | log-uniform, 0.0001 to 0.1 |
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tunelab.schedules._space import DEFAULT_FAMILIES, FAMILIES, space

START = "<!-- space-table: made by python -m tunelab.schedules._space_doc; do not edit by hand -->"
END = "<!-- /space-table -->"
#: The schedule name the table's parameter names use (``trial.suggest_schedule("lr", ...)``).
NAME = "lr"


def _spec(spec: Any) -> str:
    if isinstance(spec, dict) and "choices" in spec:
        return "one of " + ", ".join(f"`{c!r}`" for c in spec["choices"])
    if isinstance(spec, dict):
        return f"{'log-uniform' if spec['log'] else 'uniform'}, {spec['low']:g} to {spec['high']:g}"
    return f"fixed at `{spec!r}`"


def space_table() -> str:
    """One row per argument of every family of ``space()``: the family key, whether it is a default
    family, what it builds, the parameter name in ``best_params`` and the default range."""
    config = space(families=list(FAMILIES)).to_config()
    rows = ["| Family key | Default | Builds | Parameter in `best_params` | Default range |",
            "|---|---|---|---|---|"]
    for family in config["families"]:
        first = True
        for arg, spec in config["args"][family].items():
            fixed = not isinstance(spec, dict)
            param = f"`{arg}` (fixed, not a parameter)" if fixed else f"`{NAME}.{family}.{arg}`"
            head = (f"`{family}`", "yes" if family in DEFAULT_FAMILIES else "no", FAMILIES[family][2]) if first \
                else ("", "", "")
            rows.append(f"| {' | '.join(head)} | {param} | {_spec(spec)} |")
            first = False
    return "\n".join(rows)


def rewrite(path: Path) -> bool:
    """Put the current table between the markers of ``path``; whether the file changed."""
    text = path.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    new = f"{before}{START}\n{space_table()}\n{END}{after}"
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "schedules.md"
    print(f"{target}: {'rewritten' if rewrite(target) else 'already current'}")
