"""``tunelab run`` and ``tunelab report`` as a user runs them: output, report, resume, Ctrl-C."""

import hashlib
import math
import os
import re
import shutil
import signal
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tunelab
from tests.runner import clirun
from tests.storage.postgres import pg_url  # noqa: F401 - a fixture
from tunelab.cli import main

CONFIG = """\
study = "quad"
seed = 0
[objective]
command = ["python", "train.py"]
[metric]
name = "loss"
[budget]
n_trials = {n_trials}
[sampler]
name = "random"
[parameters]
x = {{type = "float", low = -1.0, high = 1.0}}
optimizer = {{type = "categorical", choices = ["sgd", "adam"]}}
momentum = {{type = "float", low = 0.5, high = 0.99, when = {{optimizer = "sgd"}}}}
lr = {{type = "schedule", families = ["constant", "cosine"], initial = [1e-3, 1e-1], total_steps = 50}}
"""
SCRIPT = """\
import sys, time, tunelab
x = float(next(a for a in sys.argv if a.startswith("--x=")).split("=")[1])
time.sleep({sleep})
for step in range(3):
    print(f"tunelab: step={{step}} loss={{x * x + 1 / (step + 1)}}")
tunelab.report(x * x)
"""


def setup(tmp_path, *, n_trials=3, sleep=0.0):
    (tmp_path / "train.py").write_text(SCRIPT.format(sleep=sleep))
    (tmp_path / "tune.toml").write_text(CONFIG.format(n_trials=n_trials))
    return tmp_path / "tune.toml"


def test_run_prints_the_summary_and_code_and_writes_the_report(tmp_path, capsys):
    config = setup(tmp_path)
    assert main(["run", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 trials: 3 complete" in out and "best trials:" in out
    assert "best configuration, PyTorch:" in out and "lr_scheduler = scheduler(optimizer, lr)" in out
    assert "best configuration, Keras:" in out and "learning_rate(lr)" in out
    assert (tmp_path / "report.html").exists()
    assert main(["run", str(config), "--quiet", "--no-report"]) == 0  # the budget is spent: nothing runs
    assert "continuing study 'quad' (3 of 3 trials done)" in capsys.readouterr().out
    assert main(["report", "--storage", f"sqlite:///{tmp_path / 'tune.db'}", "--output", str(tmp_path / "r.html")]) == 0
    assert "Optimization history" in (tmp_path / "r.html").read_text()


def test_a_bad_config_is_refused_before_anything_runs(tmp_path, capsys):
    config = setup(tmp_path)
    config.write_text(config.read_text().replace("n_trials", "n_trails"))
    assert main(["run", str(config)]) == 2
    err = capsys.readouterr().err
    assert "tune.toml line 8: unknown key 'budget.n_trails' in [budget]; did you mean 'n_trials'?" in err
    assert not (tmp_path / "tune.db").exists()


def test_ctrl_c_stops_cleanly_and_the_next_run_continues(tmp_path):
    config = setup(tmp_path, n_trials=4, sleep=1.5)
    proc = clirun.start("run", str(config), "--quiet", "--no-report")
    logs = tmp_path / "quad-logs"
    clirun.wait_for(lambda: (logs / "trial-1.log").exists(), timeout=60, what="trial 1 to start")
    time.sleep(0.3)  # trial 1's script is running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted: 1 finished trials are stored; 1 interrupted trials are queued to run first; run " \
           "'tunelab run" in err

    url = f"sqlite:///{tmp_path / 'tune.db'}"
    trials = tunelab.load_study(study_name="quad", storage=url).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL", "WAITING"]  # nothing lost, nothing running
    assert trials[2].retry_of == 1 and trials[2].fixed_params == trials[1].params

    rerun = clirun.run("run", str(config), "--quiet", "--no-report")
    assert rerun.returncode == 0, rerun.stderr
    assert "continuing study 'quad' (1 of 4 trials done)" in rerun.stdout
    trials = tunelab.load_study(study_name="quad", storage=url).trials
    assert [t.state.name for t in trials] == ["COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "COMPLETE"]
    assert trials[1].fail_reason.startswith("interrupted") and trials[2].params == trials[1].params


@pytest.mark.slow
def test_the_digits_example_runs_end_to_end_with_a_tiny_budget(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    example = Path(__file__).resolve().parents[2] / "examples" / "digits"
    shutil.copy(example / "train.py", tmp_path / "train.py")
    text = (example / "tunelab.toml").read_text().replace("n_trials = 30", "n_trials = 2")
    (tmp_path / "tunelab.toml").write_text(text)
    env_before = dict(os.environ)
    assert main(["run", str(tmp_path / "tunelab.toml"), "--quiet"]) == 0
    assert dict(os.environ) == env_before
    study = tunelab.load_study(study_name="digits", storage=f"sqlite:///{tmp_path / 'digits.db'}")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
    assert all(math.isfinite(t.value) and t.intermediate_values for t in study.trials)
    # a random configuration may train badly (rmsprop at a high constant rate ended at 3.8 once);
    # the better of the two learned something: below chance-level cross-entropy, ln(10) = 2.30
    assert min(t.value for t in study.trials) < math.log(10)
    assert "Learning rates of the best trials" in (tmp_path / "report.html").read_text()
    # the schedule the script rebuilt for its real length is stored with that horizon, which figures draw
    rebuilt = [t for t in study.trials if "lr" in t.user_attrs.get("schedule_steps", {})]
    assert rebuilt and all(t.schedule_configs["lr"]["horizon"] == t.user_attrs["schedule_steps"]["lr"] > 0
                           for t in rebuilt)


# -- bad input: a clear message naming the file and the key, no traceback, nothing written ------------------------

PASSWORD = "Secr3tPW"


def _replace(old, new):
    def make(folder):
        path = folder / "tune.toml"
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))
        return str(path)
    return make


def _write(data, name="tune.toml"):
    def make(folder):
        (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())
        return str(folder / name)
    return make


def _append(text):
    def make(folder):
        path = folder / "tune.toml"
        path.write_text(path.read_text() + text)
        return str(path)
    return make


def _prepend(text):
    def make(folder):
        path = folder / "tune.toml"
        path.write_text(text + path.read_text())
        return str(path)
    return make


def _then(first, second):
    def make(folder):
        first(folder)
        return second(folder)
    return make


def _directory(folder):
    (folder / "conf.toml").mkdir()
    return str(folder / "conf.toml")


def _fifo(folder):
    os.mkfifo(folder / "pipe.toml")
    return str(folder / "pipe.toml")


def _unreadable(folder):
    (folder / "tune.toml").chmod(0)
    return str(folder / "tune.toml")


def _text_file(name, text="my notes\n"):
    def make(folder):
        (folder / name).write_text(text)
    return make


#: (case, how to make the argument of ``tunelab run`` in a folder holding a good tune.toml and train.py,
#: what the error says, exit status)
BAD_INPUT = [
    ("missing file", lambda f: str(f / "nope.toml"), r"nope.toml'? is invalid: must be an existing TOML file", 2),
    ("a directory", _directory, r"conf.toml'? is invalid: must be a TOML file, not a directory", 2),
    ("a named pipe", _fifo, r"pipe.toml'? is invalid: must be a regular TOML file", 2),
    ("unreadable: I/O error", lambda f: "/proc/self/mem", r"/proc/self/mem cannot be read: .*Input/output error", 2),
    ("not UTF-8 (Latin-1)", _write(CONFIG.format(n_trials=2).encode() + b"# caf\xe9\n"),
     r"tune.toml is not UTF-8 text: byte 0xe9 on line 16.*save it as UTF-8", 2),
    ("not UTF-8 (UTF-16)", _write(CONFIG.format(n_trials=2).encode("utf-16")), r"tune.toml is not UTF-8 text", 2),
    ("binary", _write(bytes(range(256))), r"tune.toml is not UTF-8 text", 2),
    ("NUL byte", _append("z = 1\x00\n"), r"tune.toml: not valid TOML: .*line 16", 2),
    ("invalid TOML", _append("[budget\n"), r"tune.toml: not valid TOML: .*line 16", 2),
    ("duplicate key", _append("lr = 1\n"), r"tune.toml: not valid TOML", 2),
    ("empty file", _write(""), r"tune.toml: \[objective\] is missing", 2),
    ("n_jobs a string", _prepend('n_jobs = "2"\n'), r"tune.toml line 1: n_jobs='2' \(type str\) is invalid", 2),
    ("seed negative", _replace("seed = 0", "seed = -1"), r"tune.toml line 2: seed=-1 is invalid: must be an integer >= 0", 2),
    ("study a number", _replace('study = "quad"', "study = 5"), r"tune.toml line 1: study=5 is invalid", 2),
    ("command a number", _replace('command = ["python", "train.py"]', "command = 42"),
     r"tune.toml line 4: objective.command=42 is invalid", 2),
    ("script missing", _replace('"train.py"', '"trian.py"'), r"tune.toml line 4: objective.command: script 'trian.py'", 2),
    ("function's module missing", _replace('command = ["python", "train.py"]', 'function = "nomodule:objective"'),
     r"tune.toml: objective.function='nomodule:objective' cannot be loaded: No module named 'nomodule'", 2),
    ("function missing", _replace('command = ["python", "train.py"]', 'function = "helpers:objective"'),
     r"tune.toml: objective.function='helpers:objective' cannot be loaded: .*has no attribute 'objective'", 2),
    ("pass mode unknown", _replace("[objective]", '[objective]\npass = "stdin"'),
     r"tune.toml line 4: objective.pass='stdin' is invalid: must be one of", 2),
    ("env not strings", _replace("[objective]", "[objective]\nenv = {A = 1}"), r"tune.toml line 4: objective.env=", 2),
    ("metric a number", _replace('name = "loss"', "name = 3"), r"tune.toml line 5: \[metric\] needs name", 2),
    ("n_trials zero", _replace("n_trials = 2", "n_trials = 0"), r"tune.toml line 8: budget.n_trials=0 is invalid", 2),
    ("timeout a string", _replace("[budget]", '[budget]\ntimeout = "10"'), r"budget.timeout='10' \(type str\)", 2),
    ("parameter not a table", _replace("x = {", "x = 1\ny = {"), r"tune.toml line 12: parameters.x=1 is invalid", 2),
    ("empty range", _replace("low = -1.0, high = 1.0", "low = 1.0, high = -1.0"),
     r"tune.toml line 12: parameters.x: low=1.0 is invalid", 2),
    ("sampler typo", _replace('name = "random"', 'name = "randm"'), r"tune.toml line 10: sampler.name='randm'", 2),
    ("storage with two slashes", _prepend('storage = "sqlite://x.db"\n'),
     r"tune.toml line 1: storage='sqlite://x.db' is invalid: .*sqlite:///x.db", 2),
    ("storage of another database", _prepend(f'storage = "mysql://bob:{PASSWORD}@db/x"\n'),
     r"tune.toml line 1: storage='mysql://bob:\*\*\*@db/x' is invalid: must be an SQLite file", 2),
    ("storage not an SQLite file", _then(_text_file("notes.txt"), _prepend('storage = "notes.txt"\n')),
     r"tune.toml line 1: storage='notes.txt' is invalid: .*notes.txt is not an SQLite database", 2),
    ("storage in a missing folder", _prepend('storage = "nodir/x.db"\n'),
     r"tune.toml line 1: storage='nodir/x.db' is invalid: the folder .*nodir does not exist", 2),
    ("storage a folder", _then(lambda f: (f / "sub").mkdir(), _prepend('storage = "sub"\n')),
     r"tune.toml line 1: storage='sub' is invalid: .*sub is a directory", 2),
    ("heartbeat negative", _append("[storage]\nheartbeat_interval = -1\n"),
     r"tune.toml line 17: storage.heartbeat_interval=-1 is invalid: must be a positive number of seconds or false", 2),
    ("heartbeat a string", _append('[storage]\nheartbeat_interval = "10s"\n'),
     r"storage.heartbeat_interval='10s' \(type str\) is invalid", 2),
    ("grace below the interval", _append("[storage]\nheartbeat_interval = 10\ngrace_period = 5\n"),
     r"tune.toml line 18: storage.grace_period=5 is invalid: must be longer than storage.heartbeat_interval=10", 2),
    ("retries a boolean", _append("[storage]\nretries = true\n"),
     r"tune.toml line 17: storage.retries=True \(type bool\) is invalid: must be an integer >= 0", 2),
    ("retries without heartbeats", _append("[storage]\nheartbeat_interval = false\nretries = 2\n"),
     r"tune.toml line 18: storage.retries=2 is invalid: .*need heartbeats", 2),
    ("storage table key typo", _append("[storage]\nheartbeat = 5\n"),
     r"tune.toml line 17: unknown key 'storage.heartbeat' in \[storage\]; did you mean 'heartbeat_interval'", 2),
    ("storage server unreachable", _prepend(f'storage = "postgresql://bob:{PASSWORD}@127.0.0.1:1/x"\n'),
     r"cannot open the storage postgresql://bob:\*\*\*@127.0.0.1:1/x", 1),
]
if os.geteuid() != 0:  # root reads any file
    BAD_INPUT.append(("unreadable: no permission", _unreadable, r"tune.toml cannot be read: .*Permission denied", 2))


def snapshot(folder):
    """Every path under ``folder`` with its type, size, mode, times and content hash."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            digest = None
            if stat.S_ISREG(st.st_mode) and os.access(path, os.R_OK):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(folder))] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mode, st.st_mtime_ns,
                                                    digest)
    return found


def _try(case, folder):
    _, make, _, _ = case
    setup(folder, n_trials=2)
    (folder / "helpers.py").write_text("VALUE = 1\n")
    argument = make(folder)
    before = snapshot(folder)
    result = clirun.run("run", argument, "--quiet", cwd=folder, timeout=60)
    return argument, result, before, snapshot(folder)


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    """``tunelab run`` on every bad input, a few at a time (each is its own process)."""
    folders = [tmp_path_factory.mktemp(f"bad{i}") for i in range(len(BAD_INPUT))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_try, BAD_INPUT, folders))
    return dict(zip([case[0] for case in BAD_INPUT], results))


@pytest.mark.parametrize("case", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_gets_a_clear_message_and_changes_nothing(case, bad_input_results):
    name, _, message, status = case
    argument, result, before, after = bad_input_results[name]
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr and result.stdout.count("\n") <= 1
    assert result.stderr.startswith("tunelab: error: ") and re.search(message, result.stderr), result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert after == before, "files created or changed"


def test_bad_input_covers_enough_cases():
    assert len(BAD_INPUT) >= 15


def test_a_config_saved_with_a_byte_order_mark_is_read(tmp_path):
    config = setup(tmp_path, n_trials=1)
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    assert main(["run", str(config), "--quiet", "--no-report"]) == 0


@pytest.mark.postgres
def test_a_postgres_password_is_never_printed(tmp_path, pg_url):  # noqa: F811 - the fixture
    secret = pg_url.replace("://postgres@", f"://postgres:{PASSWORD}@", 1)
    assert PASSWORD in secret
    config = setup(tmp_path, n_trials=2)
    config.write_text(f'storage = "{secret}"\n' + config.read_text().replace('study = "quad"', 'study = "pw"'))
    done = clirun.run("run", str(config), "--no-report")
    assert done.returncode == 0, done.stderr
    assert f"study 'pw' in {secret.replace(PASSWORD, '***')}" in done.stdout
    again = clirun.run("run", str(config), "--no-report")
    assert again.returncode == 0 and "continuing study 'pw' (2 of 2 trials done) in postgresql://postgres:***@" \
        in again.stdout
    missing = secret.rsplit("/", 1)[0] + "/tl_no_such_database"
    config.write_text(config.read_text().replace(secret, missing))
    failed = clirun.run("run", str(config), "--no-report")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert f"cannot open the storage {missing.replace(PASSWORD, '***')}" in failed.stderr
    for result in (done, again, failed):
        assert PASSWORD not in result.stdout + result.stderr
