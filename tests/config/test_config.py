"""Config files: every bad input names the file, the line and the key, and says what is allowed."""

import os
import stat

import pytest

import tunelab
from tunelab.config import ConfigError, load_config, suggest_all
from tunelab.space import CategoricalDistribution

GOOD = """\
study = "demo"
seed = 3

[objective]
command = ["python", "train.py"]
timeout = 30

[metric]
name = "loss"

[budget]
n_trials = 4

[sampler]
name = "random"

[pruner]
name = "none"

[parameters]
x = {type = "float", low = 0.0, high = 1.0}
optimizer = {type = "categorical", choices = ["sgd", "adam"]}
momentum = {type = "float", low = 0.5, high = 0.99, when = {optimizer = "sgd"}}
layers = {type = "int", low = 1, high = 4}
lr = {type = "schedule", families = ["constant", "cosine"], initial = [1e-4, 1e-1], total_steps = 100}
"""


def write(tmp_path, text, *, script=True):
    if script:
        (tmp_path / "train.py").write_text("print('tunelab: loss=1')\n")
    path = tmp_path / "tune.toml"
    path.write_text(text)
    return path


def test_a_good_config_is_read_with_defaults_beside_the_file(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.study_name == "demo" and config.n_trials == 4 and config.timeout is None
    assert config.storage == f"sqlite:///{tmp_path / 'tune.db'}"
    assert [p.name for p in config.parameters] == ["x", "optimizer", "momentum", "layers", "lr"]
    assert config.objective.timeout == 30.0 and config.objective.pass_params == "args"
    assert repr(config.sampler) == "RandomSampler(seed=3)"  # the config's seed reaches the sampler


def test_a_conditional_parameter_exists_only_when_its_condition_holds(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    study = tunelab.create_study(sampler=config.sampler)
    seen = {"sgd": 0, "adam": 0}
    for _ in range(12):
        trial = study.ask(fixed_distributions=None)
        values = suggest_all(trial, config.parameters)
        seen[values["optimizer"]] += 1
        assert ("momentum" in values) == (values["optimizer"] == "sgd")
        assert type(values["lr"]).__name__ in ("CosineDecay", "_Constant")
        study.tell(trial, values["x"])
    assert seen["sgd"] and seen["adam"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("seed = 3", "sede = 3", r"tune.toml line 2: unknown key 'sede' in the top level; did you mean 'seed'\?"),
    ('high = 1.0}', 'hihg = 1.0}', r"line 21: unknown key 'parameters.x.hihg' in \[parameters.x\]; did you mean 'high'\?"),
    ("timeout = 30", "timout = 30", r"line 6: unknown key 'objective.timout' .*did you mean 'timeout'\?"),
])
def test_an_unknown_key_is_an_error_with_its_line_and_a_suggestion(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, GOOD.replace(old, new)))


@pytest.mark.parametrize(("old", "new", "message"), [
    ("seed = 3", 'seed = "three"', r"line 2: seed='three' \(type str\) is invalid: must be an integer >= 0"),
    ("n_trials = 4", "n_trials = 4.5", r"line 12: budget.n_trials=4.5 \(type float\) is invalid: must be an integer"),
    ('command = ["python", "train.py"]', "command = 5", r"line 5: objective.command=5 is invalid: must be a non-empty"),
    ('high = 4}', 'high = "4"}', r"line 24: parameters.layers: high='4' \(type str\) is invalid"),
    ('name = "loss"', 'name = 3', r"\[metric\] needs name"),
])
def test_a_wrong_type_is_an_error_naming_the_key(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, GOOD.replace(old, new, 1)))


def test_an_empty_range_is_an_error(tmp_path):
    text = GOOD.replace("low = 0.0, high = 1.0", "low = 1.0, high = 0.0")
    with pytest.raises(ConfigError, match=r"line 21: parameters.x: low=1.0 is invalid for FloatDistribution: "
                                          r"must be at most high=0.0"):
        load_config(write(tmp_path, text))


def test_an_unknown_schedule_family_is_an_error(tmp_path):
    text = GOOD.replace('["constant", "cosine"]', '["constant", "cosin"]')
    with pytest.raises(ConfigError, match=r"line 25: parameters.lr: family='cosin' is invalid: must be one of "
                                          r"\['constant', 'cosine'"):
        load_config(write(tmp_path, text))


def test_an_unknown_parameter_type_lists_the_types(tmp_path):
    with pytest.raises(ConfigError, match=r"line 21: parameters.x.type='real' is invalid: must be one of 'float', "
                                          r"'int', 'categorical', 'schedule'"):
        load_config(write(tmp_path, GOOD.replace('type = "float", low = 0.0', 'type = "real", low = 0.0')))


def test_a_condition_must_name_an_earlier_parameter_and_a_value_it_can_take(tmp_path):
    with pytest.raises(ConfigError, match=r"parameters.momentum.when names 'optimiser': must name a parameter "
                                          r"defined above it"):
        load_config(write(tmp_path, GOOD.replace("when = {optimizer", "when = {optimiser")))
    with pytest.raises(ConfigError, match=r"parameters.momentum.when: optimizer='sdg' is invalid"):
        load_config(write(tmp_path, GOOD.replace('optimizer = "sgd"}', 'optimizer = "sdg"}')))


def test_samplers_and_pruners_are_found_by_name_with_checked_args(tmp_path):
    with pytest.raises(ConfigError, match=r"line 15: sampler.name='rnadom' is invalid: must be one of .*"
                                          r"did you mean 'random'\?"):
        load_config(write(tmp_path, GOOD.replace('name = "random"', 'name = "rnadom"')))
    text = GOOD.replace('[pruner]\nname = "none"', '[pruner]\nname = "median"\nargs = {n_warmup = 2}')
    with pytest.raises(ConfigError, match=r"pruner.args.n_warmup is invalid: MedianPruner takes \["):
        load_config(write(tmp_path, text))
    config = load_config(write(tmp_path, GOOD.replace('name = "none"', 'name = "nop"')))
    assert type(config.pruner).__name__ == "NopPruner"


def test_the_script_must_exist_and_be_executable(tmp_path):
    with pytest.raises(ConfigError, match=r"line 5: objective.command: script 'train.py' is not found in"):
        load_config(write(tmp_path, GOOD, script=False))
    script = tmp_path / "train.sh"
    script.write_text("#!/bin/sh\necho 'tunelab: loss=1'\n")
    text = GOOD.replace('["python", "train.py"]', '["./train.sh"]')
    with pytest.raises(ConfigError, match=r"script './train.sh' is not executable: chmod \+x it"):
        load_config(write(tmp_path, text))
    os.chmod(script, script.stat().st_mode | stat.S_IXUSR)
    assert load_config(write(tmp_path, text)).objective.command == (str(script),)


def test_a_budget_and_the_required_tables_are_required(tmp_path):
    with pytest.raises(ConfigError, match=r"\[budget\] needs n_trials or timeout"):
        load_config(write(tmp_path, GOOD.replace("n_trials = 4", "")))
    with pytest.raises(ConfigError, match=r"\[metric\] is missing"):
        load_config(write(tmp_path, GOOD.replace('[metric]\nname = "loss"', "")))
    with pytest.raises(ConfigError, match=r"not valid TOML"):
        load_config(write(tmp_path, GOOD + "x = = 1\n"))
    with pytest.raises(ConfigError, match=r"config='.*nope.toml' is invalid: must be an existing TOML file"):
        load_config(tmp_path / "nope.toml")


def test_a_categorical_parameter_accepts_strings_with_shell_characters(tmp_path):
    text = GOOD.replace('choices = ["sgd", "adam"]', """choices = ["sgd", "adam", "; rm -rf /tmp/x"]""")
    config = load_config(write(tmp_path, text))
    assert config.parameters[1].space == CategoricalDistribution(["sgd", "adam", "; rm -rf /tmp/x"])
