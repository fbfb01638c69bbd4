"""docs/schedules.md documents schedules.space() as the code has it: the table of families,
parameters and default ranges cannot drift, and the guide's example runs."""

from __future__ import annotations

import re
from pathlib import Path

from tunelab import schedules
from tunelab.schedules._space import DEFAULT_FAMILIES, FAMILIES
from tunelab.schedules._space_doc import END, START, space_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "schedules.md"


def _doc_table() -> str:
    text = DOC.read_text()
    assert START in text and END in text, "docs/schedules.md lost its space-table markers"
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def test_the_table_in_the_doc_is_the_one_the_code_makes():
    assert _doc_table() == space_table(), "run: python -m tunelab.schedules._space_doc"


def test_the_table_names_every_family_and_parameter_of_the_space():
    """Read back from the doc itself: the family keys, the default ones, and the best_params names."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in _doc_table().splitlines()[2:]]
    families, defaults, params, family = [], [], set(), None
    for key, default, _, param, _ in rows:
        if key:
            family = key.strip("`")
            families.append(family)
            if default == "yes":
                defaults.append(family)
        found = re.fullmatch(r"`(lr\.[^`]+)`", param)
        if found:
            params.add(found.group(1))
    config = schedules.space(families=list(FAMILIES)).to_config()
    assert families == config["families"] and tuple(defaults) == DEFAULT_FAMILIES
    assert defaults == schedules.space().to_config()["families"]
    searched = {f"lr.{fam}.{arg}" for fam, args in config["args"].items() for arg, spec in args.items()
                if isinstance(spec, dict)}
    assert params == searched


def test_the_guide_example_runs():
    [code] = [c for info, c in re.findall(r"^```([^\n]*)\n(.*?)^```", DOC.read_text(), re.S | re.M)
              if info.strip() == "python" and "schedules.space(" in c]
    namespace: dict = {}
    exec(compile(code, "docs/schedules.md", "exec"), namespace)
    study = namespace["study"]
    family = study.best_params["lr.family"]
    assert family in ("cosine", "one_cycle", "get_linear_schedule_with_warmup")
    assert study.best_trial.schedule_configs["lr"]["horizon"] == 500
