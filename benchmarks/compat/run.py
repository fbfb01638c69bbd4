"""Optuna drop-in compatibility: run each script of ``scripts/`` with Optuna and with tunelab, one table.

    .venv/bin/python benchmarks/compat/run.py [--library optuna|tunelab|both] [--fast] [--only NAME ...]
                                              [--timeout 120] [--markdown PATH] [--tunelab-rev REV] [--probe]
                                              [--update-expected] [-v]

Every script under ``scripts/<family>/`` is a plain Python file whose first import line is
``import optuna``; it exercises the API surface of Optuna's published examples (optuna-examples)
and FAQ the way those scripts do, cut to seconds, on scikit-learn's bundled data. The text is the
same for both libraries: the Optuna run is ``python script.py``; the tunelab run puts a
temporary directory first on ``PYTHONPATH`` holding an ``optuna`` package whose ``__init__``
replaces itself with ``tunelab`` in ``sys.modules`` and maps ``optuna.X`` to ``tunelab.X`` (so
``from optuna.trial import TrialState`` imports ``tunelab.trial``, and a missing path fails as
``No module named 'tunelab.trial'``). Child processes (Dask workers, process pools) inherit the
variable, so they see the same library as the script.

Each run gets a fresh temporary working directory (SQLite and journal files land there), a
timeout, ``MPLBACKEND=Agg``, ``KERAS_BACKEND=torch`` when TensorFlow is not installed, and no
``TUNELAB_*`` variables. A script passes when it exits with status 0; its assertions check the
behaviour the example relies on (pruned trials exist, the grid stops when exhausted ...).

Output: a markdown table (script, family, the Optuna APIs its docstring lists, each library's
result with wall and CPU seconds, and the first error line of a failure: the exception line of
the last traceback), then the differences from the outcomes recorded in ``expected.py``
(``--update-expected`` rewrites it from the run). ``--fast`` runs the scripts not listed in
``expected.SLOW`` (each under ~5 s): the subset CI runs through ``tests/test_compat.py``.
``--tunelab-rev REV`` measures tunelab as committed; ``--probe`` aliases the Optuna module paths
tunelab lacks to the tunelab modules holding the same objects, to see what fails behind them.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

try:
    from . import expected
    from .shim import PROBE_ALIASES, Shim
except ImportError:  # run as a script: its directory is sys.path[0]
    import expected
    from shim import PROBE_ALIASES, Shim

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"

LIBRARIES = ("optuna", "tunelab")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: |:?$)")
_CODE_HELPS = ("KeyError", "IndexError")  # their message alone (a key, an index) does not say what was looked up
_FILE_SUFFIX = re.compile(r" \((/|[A-Za-z]:\\)[^()]*\)$")  # ImportError's "(/path/to/module.py)": differs per checkout


@dataclass(frozen=True)
class Script:
    name: str  # "<family>/<stem>"
    family: str
    path: Path
    summary: str
    apis: str


@dataclass(frozen=True)
class Outcome:
    status: str  # "pass", "FAIL", "timeout"
    seconds: float  # wall time
    cpu: float  # CPU seconds of the script and the processes it waited for (exact when runs are sequential)
    error: str  # first error line; "" when passed
    output: str  # stderr and stdout tails, for a failure's detail

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def discover(root: Path = SCRIPTS) -> list[Script]:
    """Every ``scripts/<family>/<stem>.py``, sorted by family then name, with its docstring's APIs line."""
    found = []
    for path in sorted(root.glob("*/*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        apis = " ".join(line.strip() for line in _section(doc, "APIs:"))
        found.append(Script(f"{path.parent.name}/{path.stem}", path.parent.name, path, doc.splitlines()[0] if doc else "",
                            apis))
    return found


def _section(doc: str, head: str) -> list[str]:
    """The lines of ``doc`` from the one starting with ``head`` (that prefix removed) to the next blank line."""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(head):
            out = [line[len(head):]]
            for rest in lines[i + 1:]:
                if not rest.strip():
                    break
                out.append(rest)
            return out
    return []


def select(scripts: list[Script], *, only: list[str] | None = None, fast: bool = False) -> list[Script]:
    """Filter by ``--only`` (a script's name, its stem, or a family) and ``--fast`` (not in ``expected.SLOW``)."""
    chosen = scripts
    if only:
        wanted = set(only)
        chosen = [s for s in chosen if {s.name, s.path.stem, s.family} & wanted]
        unknown = wanted - {k for s in scripts for k in (s.name, s.path.stem, s.family)}
        if unknown:
            raise SystemExit(f"--only: no script or family named {', '.join(sorted(unknown))}")
    if fast:
        chosen = [s for s in chosen if s.name not in expected.SLOW]
    return chosen


def environment(library: str, shim_dir: str | None) -> dict[str, str]:
    """The child's environment: no TUNELAB_* variables, headless plots, Keras on torch without TensorFlow."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNELAB_")}
    env["MPLBACKEND"] = "Agg"
    env["PYTHONUNBUFFERED"] = "1"
    if "KERAS_BACKEND" not in env and _missing("tensorflow"):
        env["KERAS_BACKEND"] = "torch"
    if library == "tunelab":
        assert shim_dir is not None
        env["PYTHONPATH"] = os.pathsep.join(p for p in (shim_dir, env.get("PYTHONPATH", "")) if p)
    return env


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def run_script(script: Script, library: str, *, shim_dir: str | None = None, timeout: float = 120.0) -> Outcome:
    """Run one script with one library in a subprocess and a fresh temporary working directory."""
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {LIBRARIES}, got {library!r}")
    with tempfile.TemporaryDirectory(prefix=f"compat-{library}-") as cwd:
        start, cpu_start = time.perf_counter(), _children_cpu()
        # A session of its own, so that a timeout ends the script's children too (Dask workers, pools).
        proc = subprocess.Popen([sys.executable, str(script.path)], cwd=cwd, env=environment(library, shim_dir),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        _kill_group(proc.pid)
        if timed_out:
            stdout, stderr = proc.communicate()
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu_start
        output = (stderr[-6000:] + "\n--- stdout ---\n" + stdout[-2000:]).replace(cwd, "<tmp>")
        if timed_out:
            return Outcome("timeout", seconds, cpu, f"timeout after {timeout:.0f} s", output)
        if proc.returncode == 0:
            return Outcome("pass", seconds, cpu, "", output)
        return Outcome("FAIL", seconds, cpu, first_error(stderr.replace(cwd, "<tmp>"), proc.returncode), output)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _kill_group(pgid: int) -> None:
    """End what is left of the process group this harness started for one script."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def first_error(stderr: str, returncode: int = 1) -> str:
    """The exception line of the last traceback in ``stderr`` (type and first message line).

    A bare exception type (``assert`` without a message), a KeyError or an IndexError gets the failing
    source line appended.
    Without a traceback: the last non-empty line, or the exit status.
    """
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    if starts:
        code = ""
        for i in range(starts[-1] + 1, len(lines)):
            line = lines[i]
            if line.startswith("    ") and line.strip() and set(line.strip()) - set("^~ "):
                code = line.strip()  # the last source line shown: the failing statement
            elif line and not line[0].isspace() and _EXCEPTION_LINE.match(line):
                head = line.strip()
                if head.endswith(":"):  # the message starts on the next line
                    head += " " + next((rest.strip() for rest in lines[i + 1:] if rest.strip()), "")
                head = _FILE_SUFFIX.sub("", head)
                if code and (": " not in head or head.startswith(_CODE_HELPS)):
                    return f"{head}: {code}" if ": " not in head else f"{head} at: {code}"
                return head
    rest = [line.strip() for line in lines if line.strip()]
    return rest[-1] if rest else f"exit status {returncode}"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _result(outcome: Outcome | None) -> str:
    if outcome is None:
        return "–"
    return f"{outcome.status} ({outcome.seconds:.1f} s, {outcome.cpu:.1f} CPU)"


def markdown_table(scripts: list[Script], results: dict[tuple[str, str], Outcome]) -> str:
    """One row per script: family, APIs, each library's result, and the first error of a failure."""
    rows = ["| script | family | Optuna APIs used | Optuna | tunelab | first error |",
            "|---|---|---|---|---|---|"]
    for s in scripts:
        optuna_out, tunelab_out = results.get((s.name, "optuna")), results.get((s.name, "tunelab"))
        errors = []
        if optuna_out is not None and not optuna_out.passed:
            errors.append(f"Optuna: {optuna_out.error}")
        if tunelab_out is not None and not tunelab_out.passed:
            errors.append(tunelab_out.error if optuna_out is None or optuna_out.passed else f"tunelab: {tunelab_out.error}")
        rows.append(f"| {s.name} | {s.family} | {_cell(s.apis, 400)} | {_result(optuna_out)} | {_result(tunelab_out)} | "
                    f"{_cell('; '.join(errors), 240)} |")
    return "\n".join(rows)


def differences(scripts: list[Script], results: dict[tuple[str, str], Outcome]) -> list[str]:
    """Where this run disagrees with ``expected.py``: the lines to act on (update the record or fix a regression)."""
    notes = []
    for s in scripts:
        optuna_out, tunelab_out = results.get((s.name, "optuna")), results.get((s.name, "tunelab"))
        recorded = expected.OPTUNA_FAILS.get(s.name)
        if optuna_out is not None and optuna_out.passed != (recorded is None):
            notes.append(f"{s.name}: Optuna {optuna_out.status}, expected.OPTUNA_FAILS says "
                         f"{'pass' if recorded is None else repr(recorded)}")
        listed = expected.TUNELAB_XFAIL.get(s.name)
        if tunelab_out is not None:
            if tunelab_out.passed and listed is not None:
                notes.append(f"{s.name}: tunelab passes now; remove it from expected.TUNELAB_XFAIL")
            elif not tunelab_out.passed and listed is None and recorded is None:
                notes.append(f"{s.name}: tunelab fails and is not in expected.TUNELAB_XFAIL: {tunelab_out.error}")
            elif not tunelab_out.passed and listed is not None and listed != tunelab_out.error:
                notes.append(f"{s.name}: tunelab's first error changed to: {tunelab_out.error}")
    return notes


_EXPECTED_TEMPLATE = '''\
"""Recorded outcomes of the compatibility scripts: the one place the harness and the test read.

Measured with Optuna 5.1.0 + optuna-integration 5.0.0 and tunelab at the commit named in
RESULTS.md. Update it from a run: ``.venv/bin/python benchmarks/compat/run.py --update-expected``
rewrites the entries of the scripts it ran (its last section lists the differences it found).
"""

from __future__ import annotations

# Scripts that fail with Optuna itself (name -> first error line); the tunelab test skips them.
OPTUNA_FAILS: dict[str, str] = {optuna}

# Scripts that pass with Optuna and fail with tunelab today (name -> first error line). The test
# marks them xfail(strict=True): when a fix makes one pass, remove its line.
TUNELAB_XFAIL: dict[str, str] = {tunelab}

# Scripts that take more than ~5 s with either library on an idle 2-CPU machine (framework import,
# cluster start-up, GP fits): left out of --fast, so CI does not run them.
SLOW: frozenset[str] = frozenset({slow})
'''


def _render(entries: list[str]) -> str:
    return "{" + "".join(f"\n    {e}," for e in entries) + ("\n}" if entries else "}")


def update_expected(results: dict[tuple[str, str], Outcome], path: Path = HERE / "expected.py") -> None:
    """Rewrite ``expected.py`` with this run's outcomes for the scripts it ran; the others keep theirs."""
    optuna_fails, xfail = dict(expected.OPTUNA_FAILS), dict(expected.TUNELAB_XFAIL)
    for (name, library), out in results.items():
        table = optuna_fails if library == "optuna" else xfail
        table.pop(name, None)
        if not out.passed:
            table[name] = out.error
    xfail = {name: error for name, error in xfail.items() if name not in optuna_fails}
    path.write_text(_EXPECTED_TEMPLATE.format(
        optuna=_render([f"{k!r}: {v!r}" for k, v in sorted(optuna_fails.items())]),
        tunelab=_render([f"{k!r}: {v!r}" for k, v in sorted(xfail.items())]),
        slow=_render([repr(k) for k in sorted(expected.SLOW)])))


def header(args: argparse.Namespace) -> str:
    """When, with what: the date, Python, Optuna and optuna-integration versions, tunelab's commit, the load."""
    from importlib import metadata

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    root = HERE.parent.parent
    rev = args.tunelab_rev or "HEAD"
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=root, capture_output=True, text=True).stdout.strip()
    dirty = "" if args.tunelab_rev else (" + uncommitted changes" if subprocess.run(
        ["git", "status", "--porcelain", "--", "tunelab"], cwd=root, capture_output=True, text=True).stdout.strip() else "")
    return (f"{time.strftime('%Y-%m-%d %H:%M %Z')}; Python {sys.version.split()[0]}, Optuna {version('optuna')}, "
            f"optuna-integration {version('optuna-integration')}, tunelab {commit}{dirty}"
            f"{' with --probe aliases' if args.probe else ''}; {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f} at the start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="a script (family/stem or stem) or a family; repeatable")
    parser.add_argument("--library", choices=("optuna", "tunelab", "both"), default="both")
    parser.add_argument("--fast", action="store_true", help="only the scripts CI runs (not in expected.SLOW)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per script run (default 120)")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table to PATH")
    parser.add_argument("--probe", action="store_true",
                        help="diagnostic: alias Optuna module paths tunelab lacks to their tunelab counterparts "
                             f"({', '.join(f'{k}->{v}' for k, v in PROBE_ALIASES.items())}), to see the next failure")
    parser.add_argument("--tunelab-rev", metavar="REV",
                        help="run tunelab as committed at REV (git archive) instead of the working tree")
    parser.add_argument("--update-expected", action="store_true",
                        help="rewrite expected.py with this run's outcomes (for the scripts and libraries run)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failure's stderr tail")
    args = parser.parse_args(argv)
    scripts = select(discover(), only=args.only, fast=args.fast)
    libraries = LIBRARIES if args.library == "both" else (args.library,)
    if "optuna" in libraries and _missing("optuna"):
        print("Optuna is not installed: running tunelab only (pip install -e '.[bench]' optuna-integration)")
        libraries = tuple(lib for lib in libraries if lib != "optuna")
    results: dict[tuple[str, str], Outcome] = {}
    about = header(args)
    start = time.perf_counter()
    with Shim(probe=args.probe, tunelab_rev=args.tunelab_rev) as shim_dir:
        for s in scripts:
            for library in libraries:
                out = run_script(s, library, shim_dir=shim_dir, timeout=args.timeout)
                results[(s.name, library)] = out
                print(f"{s.name:<40} {library:<8} {_result(out):<18} {out.error}", file=sys.stderr, flush=True)
                if args.verbose and not out.passed:
                    print(out.output, file=sys.stderr)
    total = time.perf_counter() - start
    table = markdown_table(scripts, results)
    print(about + "\n")
    print(table)
    counts = [f"{lib}: {sum(results[(s.name, lib)].passed for s in scripts)}/{len(scripts)} pass" for lib in libraries]
    print(f"\n{'; '.join(counts)}; {total:.0f} s in all")
    notes = [] if args.probe else differences(scripts, results)
    if notes:
        print("\nDifferences from expected.py:")
        print("\n".join(f"- {n}" for n in notes))
    if args.markdown:
        Path(args.markdown).write_text(about + "\n\n" + table + "\n")
    if args.update_expected and not args.probe:
        update_expected(results)
        print("\nexpected.py updated")
    elif args.update_expected:
        print("\n--update-expected ignored under --probe")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
