"""Every CLI command fed bad input, as a hostile or careless user would: one table of cases.

Each case runs in a fresh copy of a directory of sample files (a tunelab database, garbled, truncated,
foreign and empty SQLite files, a text file, a folder) with that directory as the working directory,
and asserts what a user must see: a non-zero exit status, exactly one line on stderr that names the
argument or the file at fault (pinned by a regular expression), no traceback, nothing on stdout, and
no file in the directory created, removed or changed (content hashes before and after, ``-wal`` /
``-shm`` files included). Cases marked ``process`` run the real command in a subprocess (the
permission cases, with the capability that lets root read any file dropped).

``python tests/cli/test_bad_input.py [--process]`` prints the table per command: cases, clear errors,
raw tracebacks, files touched (``--process``: every case as a real process, stopped after 30 s).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SPACE = '{"x": {"type": "float", "low": 0, "high": 1}}'
LONG = "x" * 600


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    match: str  # the one stderr line must match this (re.search)
    code: int = 1
    env: dict[str, str] = field(default_factory=dict)
    process: bool = False  # run the real command in a subprocess
    setup: str | None = None  # a name in SETUPS, run in the case directory first

    @property
    def command(self) -> str:
        return self.argv[0] if self.argv else "(none)"


def c(id, *argv, match, **kw):
    return Case(id, tuple(argv), match, **kw)


# -- the table ---------------------------------------------------------------------------------------
READERS = {  # the read-only commands, with what each needs besides --storage
    "studies": (),
    "trials": ("--study", "demo"),
    "best": ("--study", "demo"),
    "report": ("--study", "demo", "--output", "out.html"),
    "dashboard": ("--port", "0"),
}
FILES = [  # (id, --storage value, what the message must say)
    ("missing-file", "sqlite:///typo.db", r"typo\.db.*does not exist"),
    ("missing-bare-path", "typo.db", r"typo\.db.*does not exist"),
    ("missing-unicode", "sqlite:///ünïcødé-∂b.db", r"ünïcødé-∂b\.db.*does not exist"),
    ("missing-folder", "sqlite:///no/such/dir/x.db", r"no/such/dir.*does not exist"),
    ("random-bytes", "sqlite:///garbled.db", r"garbled\.db' is not an SQLite database"),
    ("garbled-pages", "sqlite:///pages.db", r"pages\.db.*(corrupt|malformed)"),
    ("truncated", "sqlite:///truncated.db", r"truncated\.db' is truncated"),
    ("foreign-view", "sqlite:///foreign_view.db", r"foreign_view\.db' is an SQLite database of another program"),
    ("foreign-table", "sqlite:///foreign_table.db", r"foreign_table\.db' is an SQLite database of another program"),
    ("empty-file", "sqlite:///empty.db", r"empty\.db' is empty"),
    ("text-file", "notes.txt", r"notes\.txt' is not an SQLite database"),
    ("newer-schema", "sqlite:///newer.db", r"newer\.db' was written by a newer tunelab"),
    ("directory", "sqlite:///adir", r"--storage='sqlite:///adir' is invalid: 'adir' is a directory"),
    ("directory-slash", "adir/", r"--storage='adir/' is invalid: 'adir/' is a directory"),
    ("two-slashes", "sqlite://x.db", r"--storage='sqlite://x\.db' is invalid: names no file"),
    ("in-memory", "sqlite://", r"--storage='sqlite://' is invalid: it is an in-memory database"),
    ("memory-path", "sqlite:///:memory:", r"--storage='sqlite:///:memory:' is invalid: it is an in-memory"),
    ("no-slashes", "sqlite:x.db", r"--storage='sqlite:x\.db' is invalid: sqlite: is not followed by //"),
    ("unknown-scheme", "mysql://bob:pw12345@db/x", r"--storage='mysql://bob:\*\*\*@db/x' is invalid: the scheme"),
    ("empty-url", "", r"--storage='' is invalid: it is empty"),
    ("blank-url", "   ", r"--storage='   ' is invalid: it is empty"),
]
CASES: list[Case] = [
    c(f"{cmd}-{kind}", cmd, "--storage", url, *extra, match=match)
    for cmd, extra in READERS.items() for kind, url, match in FILES
]
WRITERS = {  # the commands that write, each with a valid rest of the line
    "ask": ("--study", "demo", "--search-space", SPACE),
    "tell": ("--study", "demo", "--trial", "3", "--values", "1"),
    "delete": ("--study", "demo", "--yes"),
}
for cmd, extra in WRITERS.items():
    for kind, url, match in FILES:
        if kind in ("missing-file", "missing-bare-path", "missing-unicode", "empty-file") and cmd == "ask":
            continue  # ask makes a new database there: not bad input
        CASES.append(c(f"{cmd}-{kind}", cmd, "--storage", url, *extra, match=match))

VALID = ("--storage", "sqlite:///valid.db")
CASES += [
    # studies, trials and best: unknown, empty and missing study names, formats
    c("trials-unknown-study", "trials", *VALID, "--study", "nope", match=r"no study named 'nope'"),
    c("trials-empty-study", "trials", *VALID, "--study", "", match=r"no study named ''"),
    c("trials-unicode-study", "trials", *VALID, "--study", "стади-✓", match=r"no study named 'стади-✓'"),
    c("trials-no-study-of-three", "trials", *VALID, match=r"--study is missing: the storage holds 3 studies"),
    c("best-unknown-study", "best", *VALID, "--study", "nope", match=r"no study named 'nope'"),
    c("best-no-complete-trial", "best", *VALID, "--study", "empty", match=r"study 'empty' has no COMPLETE trial"),
    c("best-no-study-of-three", "best", *VALID, match=r"--study is missing: the storage holds 3 studies"),
    c("trials-format-xml", "trials", *VALID, "--study", "demo", "--format", "xml", code=2,
      match=r"argument --format: invalid choice: 'xml'"),
    c("studies-format-upper", "studies", *VALID, "--format", "JSON", code=2,
      match=r"argument --format: invalid choice: 'JSON'"),
    c("best-format-empty", "best", *VALID, "--format", "", code=2, match=r"argument --format: invalid choice: ''"),
    c("studies-unknown-option", "studies", *VALID, "--colour", code=2, match=r"unrecognized arguments: --colour"),
    c("studies-no-storage", "studies", match=r"--storage is missing: give --storage URL or set TUNELAB_STORAGE"),
    c("studies-env-two-slashes", "studies", env={"TUNELAB_STORAGE": "sqlite://x.db"},
      match=r"\$TUNELAB_STORAGE='sqlite://x\.db' is invalid: names no file"),
    c("trials-env-garbled", "trials", "--study", "demo", env={"TUNELAB_STORAGE": "sqlite:///garbled.db"},
      match=r"garbled\.db' is not an SQLite database"),
    c("studies-env-missing", "studies", env={"TUNELAB_STORAGE": "sqlite:///typo.db"},
      match=r"typo\.db.*does not exist"),
    # report: outputs and studies it cannot draw
    c("report-unknown-study", "report", *VALID, "--study", "nope", "-o", "r.html", match=r"no study named 'nope'"),
    c("report-output-directory", "report", *VALID, "--study", "demo", "-o", "adir",
      match=r"--output='adir' is invalid: it names a directory"),
    c("report-output-slash", "report", *VALID, "--study", "demo", "-o", "new/",
      match=r"--output='new/' is invalid: it names a directory"),
    c("report-output-under-a-file", "report", *VALID, "--study", "demo", "-o", "notes.txt/r.html",
      match=r"--output='notes\.txt/r\.html' is invalid: '.*notes\.txt' is a file, not a directory"),
    c("report-output-empty", "report", *VALID, "--study", "demo", "-o", "",
      match=r"--output='' is invalid: must be a file path"),
    # import-optuna: the Optuna database read, never written (no -wal / -shm beside it), the target untouched
    *[c(f"import-optuna-from-{name}", "import-optuna", "--from", source, "--storage", "sqlite:///new.db",
        match=match)
      for name, source, match in (
          ("missing", "sqlite:///missing.db", r"--from='sqlite:///missing\.db': the file 'missing\.db' does not exist"),
          ("directory", "sqlite:///adir", r"--from='sqlite:///adir': 'adir' is a directory"),
          ("tunelab-db", "sqlite:///valid.db", r"--from='sqlite:///valid\.db' is not an Optuna database"),
          ("empty-file", "sqlite:///empty.db", r"--from='sqlite:///empty\.db' is not an Optuna database"),
          ("foreign", "sqlite:///foreign_table.db", r"is not an Optuna database \(it holds \['users'\]\)"),
          ("garbled", "sqlite:///garbled.db", r"--from='sqlite:///garbled\.db' cannot be read: file is not a database"),
          ("text", "sqlite:///notes.txt", r"--from='sqlite:///notes\.txt' cannot be read"),
          ("truncated", "sqlite:///truncated.db", r"--from='sqlite:///truncated\.db' cannot be read"),
          ("in-memory", "sqlite://", r"--from='sqlite://' is invalid: an in-memory SQLite database holds no study"),
          ("not-a-database", "http://example.org/optuna.db",
           r"--from='http://example\.org/optuna\.db' is invalid: 'http' is no database"),
          ("plain-path", "missing.db", r"--from='sqlite:///missing\.db': the file 'missing\.db' does not exist"),
      )],
    c("import-optuna-from-required", "import-optuna", "--storage", "sqlite:///new.db", code=2,
      match=r"the following arguments are required: --from"),
    c("import-optuna-datetimes", "import-optuna", "--from", "sqlite:///valid.db", "--storage", "sqlite:///new.db",
      "--datetimes", "x", code=2, match=r"argument --datetimes: invalid choice: 'x'"),
    c("import-optuna-into-garbled", "import-optuna", "--from", "sqlite:///missing.db", "--storage",
      "sqlite:///garbled.db", match=r"--from='sqlite:///missing\.db'"),
    # dashboard: ports and hosts
    *[c(f"dashboard-port-{name}", "dashboard", *VALID, "--port", value, code=2,
        match=rf"argument --port: '{re.escape(value)}' is invalid: must be an integer in 0\.\.65535")
      for name, value in (("negative", "-1"), ("too-large", "65536"), ("huge", str(10**30)), ("text", "abc"),
                          ("float", "80.5"), ("nan", "nan"), ("inf", "inf"), ("empty", ""))],
    c("dashboard-host-invalid", "dashboard", *VALID, "--host", "999.999.999.999", "--port", "0",
      match=r"--host='999\.999\.999\.999' --port=0 cannot be served"),
    # ask: the search space
    *[c(f"ask-space-{name}", "ask", *VALID, "--study", "demo", "--search-space", space, match=match)
      for name, space, match in (
          ("empty", "", r"--search-space is not valid JSON"),
          ("not-json", "{x: 1}", r"--search-space is not valid JSON"),
          ("list", "[]", r"--search-space='\[\]' is invalid: must be a non-empty JSON object"),
          ("empty-object", "{}", r"--search-space='\{\}' is invalid: must be a non-empty JSON object"),
          ("not-a-distribution", '{"x": 1}', r"--search-space\['x'\]=1 is invalid: must be an object"),
          ("unknown-type", '{"x": {"type": "normal"}}', r"--search-space\['x'\].* is invalid: must be an object"),
          ("missing-bounds", '{"x": {"type": "float"}}', r"--search-space\['x'\].* is invalid: 'low'"),
          ("low-above-high", '{"x": {"type": "float", "low": 2, "high": 1}}', r"low=2\.0 is invalid"),
          ("nan-bound", '{"x": {"type": "float", "low": 0, "high": NaN}}', r"high=nan is invalid"),
          ("inf-bound", '{"x": {"type": "float", "low": 0, "high": Infinity}}', r"high=inf is invalid"),
          ("text-bound", '{"x": {"type": "float", "low": 0, "high": "abc"}}', r"high='abc'.* is invalid"),
          ("int-huge", '{"x": {"type": "int", "low": 0, "high": 1000000000000000000000000000000}}',
           r"high=1000000000000000000000000000000 is invalid"),
          ("int-fraction", '{"x": {"type": "int", "low": 0.5, "high": 3}}', r"low=0\.5 .*is invalid"),
          ("log-zero", '{"x": {"type": "float", "low": 0, "high": 1, "log": true}}', r"low=0.* is invalid"),
          ("unknown-key", '{"x": {"type": "float", "low": 0, "high": 1, "bogus": 3}}', r"'bogus'"),
          ("no-choices", '{"x": {"type": "categorical", "choices": []}}', r"choices=\[\] is invalid"),
          ("choices-text", '{"x": {"type": "categorical", "choices": "ab"}}', r"choices='ab' .*is invalid"),
          ("choices-object", '{"x": {"type": "categorical", "choices": [{"a": 1}]}}', r"choices\[0\]=.* is invalid"),
          ("empty-name", '{"": {"type": "float", "low": 0, "high": 1}}', r"--search-space key='' is invalid"),
          ("long-name", '{"' + LONG + '": {"type": "float", "low": 0, "high": 1}}',
           r"--search-space key='xxxx.*is invalid: must be a string of 1 to 512"),
      )],
    c("ask-empty-study-name", "ask", *VALID, "--study", "", "--search-space", SPACE,
      match=r"study_name='' is invalid"),
    c("ask-bad-direction", "ask", *VALID, "--study", "demo", "--search-space", SPACE, "--direction", "sideways",
      code=2, match=r"argument --direction: invalid choice: 'sideways'"),
    c("ask-missing-space", "ask", *VALID, "--study", "demo", code=2,
      match=r"the following arguments are required: --search-space"),
    # tell: trial numbers, values, states
    *[c(f"tell-trial-{name}", "tell", *VALID, "--study", "demo", "--trial", value, "--values", "1", code=2,
        match=rf"argument --trial: '{re.escape(value)}' is invalid: must be an integer in 0\.\.9223372036854775807")
      for name, value in (("negative", "-1"), ("huge", str(10**30)), ("text", "abc"), ("float", "1.5"),
                          ("nan", "nan"), ("inf", "inf"), ("empty", ""), ("unicode", "三"))],
    c("tell-unknown-trial", "tell", *VALID, "--study", "demo", "--trial", "99", "--values", "1",
      match=r"study 'demo' has no trial number 99"),
    c("tell-finished-trial", "tell", *VALID, "--study", "demo", "--trial", "0", "--values", "1",
      match=r"trial 0 .*already COMPLETE"),
    c("tell-unknown-study", "tell", *VALID, "--study", "nope", "--trial", "0", "--values", "1",
      match=r"no study named 'nope'"),
    c("tell-values-text", "tell", *VALID, "--study", "demo", "--trial", "3", "--values", "abc", code=2,
      match=r"argument --values: 'abc' is invalid: must be a number"),
    c("tell-values-empty", "tell", *VALID, "--study", "demo", "--trial", "3", "--values", "", code=2,
      match=r"argument --values: '' is invalid: must be a number"),
    c("tell-values-missing", "tell", *VALID, "--study", "demo", "--trial", "3",
      match=r"--values is missing: a COMPLETE trial needs its objective value"),
    c("tell-bad-state", "tell", *VALID, "--study", "demo", "--trial", "3", "--state", "done", code=2,
      match=r"argument --state: invalid choice: 'done'"),
    c("tell-missing-trial", "tell", *VALID, "--study", "demo", "--values", "1", code=2,
      match=r"the following arguments are required: --trial"),
    # delete
    c("delete-unknown-study", "delete", *VALID, "--study", "nope", "--yes", match=r"no study named 'nope'"),
    c("delete-without-yes", "delete", *VALID, "--study", "demo", code=2, match=r"refusing to delete without --yes"),
    c("delete-missing-study", "delete", *VALID, "--yes", code=2, match=r"the following arguments are required: "
      r"--study"),
    # schedule: expressions, step counts, outputs
    *[c(f"schedule-expression-{name}", "schedule", "show", text, match=match)
      for name, text, match in (
          ("empty", "", r"expression='' is invalid"),
          ("code", "__import__('os').system('id')", r"expression=.* is invalid: .* is not allowed"),
          ("unknown-family", "Evil(0.1)", r"family='Evil' is invalid"),
          ("unclosed", "StepLR(0.1, 3", r"expression='StepLR\(0\.1, 3' is invalid"),
          ("bad-argument", "StepLR(0.1, 0)", r"step_size=0 is invalid for StepLR"),
          ("nan-argument", "StepLR(float('nan'), 3)", r"family='float' is invalid in expression="),
          ("inf-literal", "StepLR(1e400, 3)", r"base_lr=inf is invalid for StepLR"),
          ("power", "StepLR(0.1, 10**30)", r"'10\*\*30' is not allowed"),
          ("unicode", "ΣLR(0.1)", r"family='ΣLR' is invalid"),
          ("long", "StepLR(0.1, 3)" * 200, r"expression='StepLR\(0\.1, 3\)StepLR"),
          ("keyword-typo", "StepLR(0.1, 3, gama=0.5)", r"unexpected keyword argument 'gama'"),
      )],
    *[c(f"schedule-{option[2:]}-{name}", "schedule", "show", "StepLR(0.1, 3)", option, value, code=2,
        match=rf"argument {option}: '{re.escape(value)}' is invalid: must be an integer in 1\.\.1000000000000")
      for option in ("--steps", "--every")
      for name, value in (("zero", "0"), ("negative", "-1"), ("huge", str(10**30)), ("nan", "nan"), ("text", "abc"))],
    c("schedule-too-many-points", "schedule", "show", "StepLR(0.1, 3)", "--steps", str(10**12),
      match=r"--steps=1000000000000 --every=1 is invalid: 1000000000000 steps to evaluate; must be at most"),
    c("schedule-bad-action", "schedule", "draw", "StepLR(0.1, 3)", code=2,
      match=r"argument action: invalid choice: 'draw'"),
    c("schedule-plot-output-directory", "schedule", "plot", "StepLR(0.1, 3)", "--output", "adir",
      match=r"--output='adir' is invalid: it names a directory"),
    c("schedule-plot-output-under-a-file", "schedule", "plot", "StepLR(0.1, 3)", "--output", "notes.txt/x.png",
      match=r"--output='notes\.txt/x\.png' is invalid: '.*notes\.txt' is a file"),
    c("schedule-plot-output-empty", "schedule", "plot", "StepLR(0.1, 3)", "--output", "",
      match=r"--output='' is invalid: must be a file path"),
    # the command itself
    c("unknown-command", "frobnicate", code=2, match=r"argument COMMAND: invalid choice: 'frobnicate'"),
    # files this user may not read or write (run as a process that cannot override permissions)
    *[c(f"{cmd}-unreadable-file", cmd, "--storage", "sqlite:///noperm.db", *extra, process=True, setup="noperm",
        match=r"noperm\.db.*(cannot be read|[Pp]ermission denied|unable to open)")
      for cmd, extra in {**READERS, **WRITERS}.items()],
    c("report-unwritable-output", "report", *VALID, "--study", "demo", "-o", "locked/r.html", process=True,
      setup="locked", match=r"--output='locked/r\.html' is invalid: permission denied"),
    c("schedule-unwritable-output", "schedule", "plot", "StepLR(0.1, 3)", "--output", "locked/x.png", process=True,
      setup="locked", match=r"--output='locked/x\.png' is invalid: permission denied"),
]


# -- the sample directory ----------------------------------------------------------------------------
def make_samples(where: Path) -> Path:
    """The files every case starts from, made once."""
    import tunelab

    where.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="tunelab-bad-input-"))
    try:
        url = f"sqlite:///{scratch / 'made.db'}"
        demo = tunelab.create_study(storage=url, study_name="demo", sampler=tunelab.samplers.RandomSampler(seed=0))
        demo.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        demo.ask()  # trial 3 stays RUNNING: a trial tell may finish
        tunelab.create_study(storage=url, study_name="empty")
        multi = tunelab.create_study(storage=url, study_name="multi", directions=["minimize", "maximize"])
        multi.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
        # a clean copy (no -wal beside it), never opened by this process
        with sqlite3.connect(scratch / "made.db") as src, sqlite3.connect(where / "valid.db") as dst:
            src.backup(dst)
        dst.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    valid = (where / "valid.db").read_bytes()
    pages = bytearray(valid)
    pages[4 * 4096:] = bytes((i * 7919) % 251 for i in range(len(valid) - 4 * 4096))
    (where / "pages.db").write_bytes(bytes(pages))
    (where / "garbled.db").write_bytes(bytes((i * 104729) % 256 for i in range(16384)))
    (where / "truncated.db").write_bytes(valid[:8192])
    (where / "empty.db").write_bytes(b"")
    (where / "notes.txt").write_text("not a database\n")
    (where / "adir").mkdir()
    for name, sql in (("foreign_view.db", "CREATE VIEW v AS SELECT 1 AS one"),
                      ("foreign_table.db", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")):
        con = sqlite3.connect(where / name)
        con.execute(sql)
        con.commit()
        con.close()
    (where / "newer.db").write_bytes(valid)
    con = sqlite3.connect(where / "newer.db")
    con.execute("UPDATE tunelab_meta SET value = '999' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    return where


def _noperm(d: Path) -> None:
    shutil.copy(d / "valid.db", d / "noperm.db")
    os.chmod(d / "noperm.db", 0)


def _locked(d: Path) -> None:
    (d / "locked").mkdir()
    os.chmod(d / "locked", 0o555)


SETUPS = {"noperm": _noperm, "locked": _locked}


def snapshot(d: Path) -> dict[str, str]:
    """Every file and folder under ``d``: its content hash (files) or ``dir``."""
    out = {}
    for path in sorted(d.rglob("*")):
        rel = str(path.relative_to(d))
        if path.is_dir():
            out[rel] = "dir"
        else:
            try:
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            except PermissionError:  # only root's test process reads it; its mode is part of the record
                out[rel] = f"mode {path.stat().st_mode:o}"
    return out


# -- running a case ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    code: int
    out: str
    err: str
    touched: list[str]


def _drop_override() -> list[str] | None:
    """The command prefix that runs a process without the capability to bypass file permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


def run_case(case: Case, samples: Path, workdir: Path, *, process: bool = False, timeout: float = 120) -> Outcome:
    d = workdir / "case"
    shutil.copytree(samples, d)
    if case.setup:
        SETUPS[case.setup](d)
    before = snapshot(d)
    env = {k: v for k, v in os.environ.items() if k not in ("TUNELAB_STORAGE", "TUNELAB_DEBUG")}
    env.update(case.env)
    if case.process or process:
        prefix = _drop_override() if case.process else []
        if prefix is None:
            pytest.skip("running as root without setpriv: no way to make a file unreadable")
        import tunelab

        env["PYTHONPATH"] = str(Path(tunelab.__file__).resolve().parents[1])
        try:
            proc = subprocess.run([*prefix, sys.executable, "-c", "import sys; from tunelab.cli import main; "
                                   "sys.exit(main())", *case.argv], cwd=d, env=env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired:  # e.g. a server that started over a file it should have refused
            code, out, err = -9, "", f"(still running after {timeout} s)"
    else:
        code, out, err = _in_process(case, d, env)
    after = snapshot(d)
    touched = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Outcome(code, out, err, touched)


def _in_process(case: Case, d: Path, env: dict[str, str]) -> tuple[int, str, str]:
    from tunelab.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd, old_env = os.getcwd(), dict(os.environ)
    os.chdir(d)
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(case.argv))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # a raw traceback, as the user would see it
                import traceback

                traceback.print_exc()
                code = 1
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
    return code, out.getvalue(), err.getvalue()


def verdict(case: Case, o: Outcome) -> dict[str, bool]:
    lines = [line for line in o.err.splitlines() if line.strip()]
    return {
        "clear": (o.code == case.code and o.out == "" and len(lines) == 1 and lines[0].startswith("tunelab")
                  and re.search(case.match, lines[0]) is not None),
        "traceback": "Traceback" in o.err or "Traceback" in o.out,
        "touched": bool(o.touched),
    }


# -- the tests ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return make_samples(tmp_path_factory.mktemp("samples") / "samples")


def test_the_table_covers_every_command_with_at_least_100_cases():
    assert len(CASES) >= 100
    assert len({case.id for case in CASES}) == len(CASES)
    from tunelab.cli._main import build_parser

    commands = set(build_parser()._subparsers._group_actions[0].choices) - {"run"}  # run has its own owner
    assert commands <= {case.command for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case, samples, tmp_path):
    o = run_case(case, samples, tmp_path)
    assert "Traceback" not in o.err and "Traceback" not in o.out, o.err
    assert o.touched == [], f"files created or changed: {o.touched}"
    assert o.code == case.code, o.err
    assert o.out == ""
    lines = [line for line in o.err.splitlines() if line.strip()]
    assert len(lines) == 1, o.err
    assert lines[0].startswith("tunelab")
    assert re.search(case.match, lines[0]), lines[0]


# -- the read-only commands change nothing, whatever the file (defect 13) -----------------------------
@pytest.mark.parametrize("kind", ["valid.db", "typo.db", "foreign_view.db", "pages.db", "garbled.db", "newer.db"])
@pytest.mark.parametrize("command", ["studies", "trials", "best", "report", "dashboard"])
def test_read_only_commands_leave_every_file_byte_identical(command, kind, samples, tmp_path):
    argv = [command, "--storage", f"sqlite:///{kind}", *READERS[command]]
    if command == "report":
        argv[-1] = str(tmp_path / "report.html")  # the report is written outside the directory watched
    if command == "dashboard" and kind == "valid.db":
        return _dashboard_reads_without_writing(samples, tmp_path)
    o = run_case(Case(f"{command}-{kind}", tuple(argv), match=""), samples, tmp_path)
    assert o.touched == [], o.touched
    assert "Traceback" not in o.err
    assert o.code == (0 if kind == "valid.db" else 1), o.err


def _dashboard_reads_without_writing(samples, tmp_path):
    import urllib.request

    pytest.importorskip("plotly", reason="the dashboard extra (plotly) is not installed")
    from tunelab.dashboard import make_server

    d = tmp_path / "case"
    shutil.copytree(samples, d)
    before = snapshot(d)
    server = make_server(f"sqlite:///{d / 'valid.db'}", port=0, preload=False)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for path in ("/api/studies", "/api/studies/1/trials", "/api/studies/1/history", "/api/studies/1/trials/0"):
            with urllib.request.urlopen(base + path) as response:
                assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()
    assert snapshot(d) == before


def test_the_real_command_prints_no_traceback(samples, tmp_path):
    """The console script as a user runs it, on a few cases of the table."""
    exe = Path(sys.executable).with_name("tunelab")
    if not exe.exists():
        pytest.skip("the tunelab console script is not installed next to this Python")
    for case_id in ("trials-garbled-pages", "studies-two-slashes", "tell-trial-huge", "report-foreign-view"):
        case = next(case for case in CASES if case.id == case_id)
        d = tmp_path / case_id
        shutil.copytree(samples, d)
        before = snapshot(d)
        env = {k: v for k, v in os.environ.items() if k not in ("TUNELAB_STORAGE", "TUNELAB_DEBUG")}
        proc = subprocess.run([str(exe), *case.argv], cwd=d, env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == case.code and "Traceback" not in proc.stderr, proc.stderr
        assert re.search(case.match, proc.stderr) and proc.stderr.count("\n") == 1, proc.stderr
        assert snapshot(d) == before


# -- the table, for the issue ------------------------------------------------------------------------
def table(*, process: bool = False) -> str:
    """Run every case and count per command: cases, clear errors, raw tracebacks, files touched
    (``process``: every case as a real process, stopped after 30 s)."""
    rows: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        samples = make_samples(Path(scratch) / "samples")
        for i, case in enumerate(CASES):
            work = Path(scratch) / f"w{i}"
            work.mkdir()
            try:
                v = verdict(case, run_case(case, samples, work, process=process, timeout=30))
            except pytest.skip.Exception:
                continue
            row = rows.setdefault(case.command, [0, 0, 0, 0])
            row[0] += 1
            row[1] += v["clear"]
            row[2] += v["traceback"]
            row[3] += v["touched"]
    total = [sum(r[i] for r in rows.values()) for i in range(4)]
    lines = ["| command | cases | clear errors | raw tracebacks | files touched |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for name, r in sorted(rows.items())]
    lines.append(f"| **all** | {total[0]} | {total[1]} | {total[2]} | {total[3]} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's tunelab
    print(table(process="--process" in sys.argv))
