"""``[pbt]`` in a config: read with the settings PopulationBasedTraining checks, and every bad input
refused before anything runs, naming the file, the line, the key, the value and what is allowed."""

from __future__ import annotations

import pytest

from tests.runner.clirun import run
from tunelab.config import ConfigError, load_config

BASE = """\
study = "pbt"
seed = 4
[objective]
command = ["python", "train.py"]
[metric]
name = "loss"
[parameters]
lr = {type = "float", low = 0.001, high = 0.5, log = true}
width = {type = "int", low = 8, high = 64}
"""
PBT = """\
[pbt]
population_size = 4
budget = 6
interval = 2
"""


def write(tmp_path, text):
    (tmp_path / "train.py").write_text("print('tunelab: loss=1')\n")
    path = tmp_path / "tune.toml"
    path.write_text(text)
    return path


def test_a_pbt_table_becomes_population_based_training_with_the_config_seed(tmp_path):
    config = load_config(write(tmp_path, BASE + PBT + 'quantile = 0.5\nperturbation_factors = [1.5, 0.5]\n'
                                                 'resample_probability = 0.0\nhyperparams = ["lr", "width"]\n'
                                                 'checkpoint_dir = "ckpt"\n'
                                                 'arguments = {epochs = "max_epochs"}\n'))
    assert config.n_trials is None and repr(config.pruner) == "NopPruner()"
    pbt = config.pbt.build()
    assert (pbt.population_size, pbt.budget, pbt.interval, pbt.quantile) == (4, 6, 2, 0.5)
    assert pbt.perturbation_factors == (1.5, 0.5) and pbt.hyperparams == ("lr", "width") and pbt.seed == 4
    assert pbt.lr_param == "lr"  # a float parameter named lr is the learning rate by default
    assert config.pbt.checkpoint_dir == tmp_path / "ckpt"
    assert config.pbt.arguments == {"epochs": "max_epochs", "checkpoint_in": "checkpoint_in",
                                    "checkpoint_out": "checkpoint_out"}


@pytest.mark.parametrize(("text", "match"), [
    (PBT.replace("population_size = 4", "population_size = 1"),
     r"line 11: pbt.population_size=1 is invalid.*must be an integer >= 2"),
    (PBT.replace("budget = 6", "budget = 6.5"), r"line 12: pbt.budget=6.5 .*integer"),
    (PBT.replace("interval = 2", "interval = 7"), r"line 13: pbt.interval=7 is invalid: must be at most pbt.budget=6"),
    (PBT + "quantile = 0.75\n", r"line 14: pbt.quantile=0.75 is invalid"),
    (PBT + "perturbation_factors = [1.2, -1]\n", r"line 14: pbt.perturbation_factors\[1\]=-1 is invalid: must be a finite number > 0"),
    (PBT + "resample_probability = 2\n", r"pbt.resample_probability=2 is invalid"),
    (PBT + 'hyperparams = ["momentum"]\n', r"pbt.hyperparams names 'momentum', which is invalid: must be one of "
                                            r"the parameters \['lr', 'width'\]"),
    (PBT + 'lr_param = "width"\n', r"pbt.lr_param='width' is invalid: must be one of the float parameters \['lr'\]"),
    (PBT + "keep_checkpoints = 1\n", r"pbt.keep_checkpoints=1"),
    (PBT + "populaton = 3\n", r"unknown key 'pbt.populaton' in \[pbt\]"),
    (PBT + 'checkpoint_file = "a/b"\n', r"pbt.checkpoint_file='a/b' is invalid: must be a plain file name"),
    (PBT + 'arguments = {epochs = "lr"}\n', r"pbt.arguments.epochs='lr' is invalid: 'lr' is a searched parameter"),
    (PBT + 'arguments = {epochs = "x", checkpoint_in = "x"}\n', r"the three names must differ"),
    (PBT + 'arguments = {checkpoint = "c"}\n', r"unknown key 'pbt.arguments.checkpoint'"),
    (PBT + 'arguments = {epochs = "max-epochs"}\n', r"must be the name of the script's argument"),
    ("[pbt]\nbudget = 6\n", r"\[pbt\] needs population_size"),
    ("pbt = 3\n", r"pbt=3 is invalid: must be a table"),
    (PBT + "[budget]\nn_trials = 4\n", r"\[budget\] is invalid with \[pbt\]"),
    (PBT + '[pruner]\nname = "median"\n', r"\[pruner\] is invalid with \[pbt\]: the population decides"),
])
def test_bad_pbt_input_is_refused_with_file_line_key_and_what_is_allowed(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match) as caught:
        load_config(write(tmp_path, BASE + text))
    assert str(caught.value).startswith(str(tmp_path / "tune.toml"))


def test_pbt_refuses_a_schedule_parameter_a_function_and_two_metrics(tmp_path):
    with pytest.raises(ConfigError, match=r"parameters.s.type='schedule' is invalid with \[pbt\]"):
        load_config(write(tmp_path, BASE + 's = {type = "schedule", families = ["constant"], initial = [0.01, 0.1]}\n'
                          + PBT))
    with pytest.raises(ConfigError, match=r"objective.function is invalid with \[pbt\]"):
        load_config(write(tmp_path, BASE.replace('command = ["python", "train.py"]', 'function = "train:f"') + PBT))
    with pytest.raises(ConfigError, match=r"names 2 metrics, which is invalid with \[pbt\]"):
        load_config(write(tmp_path, BASE.replace('name = "loss"', 'names = ["a", "b"]') + PBT))
    with pytest.raises(ConfigError, match=r"\[pbt\] needs checkpoint_dir"):
        load_config(write(tmp_path, 'storage = "postgresql://u@localhost/db"\n' + BASE + PBT))


def test_tunelab_run_refuses_a_bad_pbt_config_before_anything_is_written(tmp_path):
    path = write(tmp_path, BASE + PBT.replace("interval = 2", "interval = 0"))
    done = run("run", str(path), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "pbt.interval=0 is invalid" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py", "tune.toml"]
