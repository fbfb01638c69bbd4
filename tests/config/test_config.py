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


def test_tunelab_run_heartbeats_by_default_and_a_storage_table_sets_or_turns_them_off(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert (config.heartbeat_interval, config.grace_period, config.retries) == (10.0, None, 1)
    text = GOOD.replace("[objective]", '[storage]\nurl = "runs/s.db"\nheartbeat_interval = 2\ngrace_period = 9\n'
                                       "retries = 3\n\n[objective]")
    (tmp_path / "runs").mkdir()
    config = load_config(write(tmp_path, text))
    assert config.storage == f"sqlite:///{tmp_path / 'runs' / 's.db'}"
    assert (config.heartbeat_interval, config.grace_period, config.retries) == (2.0, 9.0, 3)
    config = load_config(write(tmp_path, GOOD.replace("[objective]", "[storage]\nheartbeat_interval = false\n\n"
                                                                      "[objective]")))
    assert (config.heartbeat_interval, config.grace_period, config.retries) == (None, None, 0)


def test_an_sqlite_url_is_made_absolute_so_the_script_opens_the_same_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(write(tmp_path, 'storage = "sqlite:///rel.db?timeout=5"\n' + GOOD))
    assert config.storage == f"sqlite:///{tmp_path / 'rel.db'}?timeout=5"
    assert load_config(write(tmp_path, 'storage = "postgresql://bo:pw@db/x"\n' + GOOD)).storage == \
        "postgresql://bo:pw@db/x"


def test_an_in_memory_database_is_refused_for_a_script_and_has_no_heartbeats_for_a_function(tmp_path):
    with pytest.raises(ConfigError, match=r"line 1: storage='sqlite://' is invalid: an in-memory database cannot "
                                          r"be reached by the training script"):
        load_config(write(tmp_path, 'storage = "sqlite://"\n' + GOOD))
    text = 'storage = "sqlite://"\n' + GOOD.replace('command = ["python", "train.py"]', 'function = "train:f"')
    config = load_config(write(tmp_path, text))
    assert config.storage == "sqlite://" and config.heartbeat_interval is None


@pytest.mark.parametrize(("table", "message"), [
    ("heartbeat_interval = 0", r"line 2: storage.heartbeat_interval=0 is invalid: must be a positive number of "
                               r"seconds or false"),
    ("heartbeat_interval = true", r"storage.heartbeat_interval=True \(type bool\) is invalid"),
    ("heartbeat_interval = inf", r"storage.heartbeat_interval=inf is invalid"),
    ("grace_period = -3", r"storage.grace_period=-3 is invalid: must be a positive number of seconds"),
    ("heartbeat_interval = 5\ngrace_period = 5", r"line 3: storage.grace_period=5 is invalid: must be longer than "
                                                 r"storage.heartbeat_interval=5"),
    ("retries = -1", r"storage.retries=-1 is invalid: must be an integer >= 0"),
    ("retries = 1.5", r"storage.retries=1.5 \(type float\) is invalid"),
    ("heartbeat_interval = false\ngrace_period = 30", r"storage.grace_period=30 is invalid: a grace period and "
                                                      r"retries of lost trials need heartbeats"),
    ("url = 5", r"line 2: storage.url=5 \(type int\) is invalid: must be an SQLite file path"),
    ('url = "postgres://bo:pw@db/x"', r"storage.url='postgres://bo:\*\*\*@db/x' is invalid"),
    ("retry = 1", r"unknown key 'storage.retry' in \[storage\]; did you mean 'retries'\?"),
])
def test_a_bad_storage_table_names_the_key_and_hides_the_password(tmp_path, table, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(write(tmp_path, f"[storage]\n{table}\n\n" + GOOD.replace('study = "demo"\nseed = 3\n', "")))
    assert ":pw@" not in str(caught.value)


def test_a_config_that_cannot_be_read_as_utf8_toml_text_is_named_with_the_reason(tmp_path):
    path = write(tmp_path, "")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match=r"tune.toml is not UTF-8 text: byte 0xff on line 1"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"config=5 \(type int\) is invalid: must be the path of a TOML file"):
        load_config(5)
    with pytest.raises(ConfigError, match=r"must be a TOML file, not a directory"):
        load_config(tmp_path)
