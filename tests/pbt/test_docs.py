"""docs/pbt.md's runnable blocks run as written."""

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "pbt.md"


def test_the_pbt_guide_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"^```([^\n]*)\n(.*?)^```", GUIDE.read_text(), re.S | re.M)
    assert {info.strip() for info, _ in blocks} <= {"python", "python no-run", "toml"}
    namespace: dict = {}
    for info, code in blocks:
        if info.strip() == "python":
            exec(compile(code, str(GUIDE), "exec"), namespace)
    for info, code in blocks:  # a config shown is one tunelab run reads
        if info.strip() == "toml":
            (tmp_path / "train.py").write_text("")
            (tmp_path / "shown.toml").write_text(code)
            from tunelab.config import load_config

            assert load_config(tmp_path / "shown.toml").pbt is not None
    found = namespace["found"]
    assert found.schedule(0) == found.lineage[0].params["lr"]
    assert (tmp_path / "toy_checkpoints" / f"trial_{found.best_trial}").is_dir()
