"""The Optuna drop-in promise, checked: the fast compatibility scripts run with tunelab after the import swap alone.

The scripts live in ``benchmarks/compat/scripts`` (``benchmarks/compat/run.py`` prints the full
table for both libraries). Every fast script that passes with Optuna must pass with tunelab.
Those that fail with tunelab today are listed, with their first error, in
``benchmarks/compat/expected.py`` (``TUNELAB_XFAIL``) and run as strict xfails: when a fix makes
one pass, the test fails until its line is removed, so the list only shrinks. Optuna's outcomes
are the ones recorded there (``OPTUNA_FAILS``), so the tunelab side runs without Optuna
installed; where Optuna is installed, ``test_optuna_outcome_is_recorded`` checks that record.
The selected scripts run as subprocesses, as many at a time as there are CPUs, from the first test on.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from benchmarks.compat import expected
from benchmarks.compat import run as compat
from benchmarks.compat.shim import Shim

FAST = compat.select(compat.discover(), fast=True)
TIMEOUT = 120.0  # seconds per script; a fast one takes under ~5 s
_MISSING_MODULE = re.compile(r"^ModuleNotFoundError: No module named '([\w.]+)'")


def _missing_third_party(error: str) -> str | None:
    """The module a script needs besides Optuna/tunelab, when that is what it failed on."""
    match = _MISSING_MODULE.match(error)
    if match and match.group(1).split(".")[0] not in ("optuna", "tunelab"):
        return match.group(1)
    return None


def _tunelab_params():
    for script in FAST:
        marks = []
        if script.name in expected.TUNELAB_XFAIL:
            marks.append(pytest.mark.xfail(strict=True, reason=expected.TUNELAB_XFAIL[script.name]))
        yield pytest.param(script, id=script.name, marks=marks)


@pytest.fixture(scope="module")
def outcomes(request):
    """(script name, library) -> Future of its Outcome, for every run the selected tests need, started at once."""
    wanted = {}
    for item in request.session.items:
        script = getattr(item, "callspec", None) and item.callspec.params.get("script")
        if isinstance(script, compat.Script) and item.module is request.module:
            library = "optuna" if item.originalname == "test_optuna_outcome_is_recorded" else "tunelab"
            if library == "tunelab" or importlib.util.find_spec("optuna") is not None:
                wanted[(script.name, library)] = script
    runs: dict[tuple[str, str], Future] = {}
    with Shim() as shim_dir, ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for (name, library), script in wanted.items():
            runs[(name, library)] = pool.submit(compat.run_script, script, library, shim_dir=shim_dir, timeout=TIMEOUT)
        yield runs
        for future in runs.values():
            future.cancel()


def test_fast_subset_is_not_empty():
    names = {s.name for s in compat.discover()}
    assert FAST, "no fast compatibility script found"
    for table in (expected.OPTUNA_FAILS, expected.TUNELAB_XFAIL, expected.SLOW):
        assert set(table) <= names, f"expected.py names scripts that do not exist: {sorted(set(table) - names)}"


def test_scripts_import_optuna_first():
    """The harness swaps the library under ``import optuna``; each script names it first, as users' scripts do."""
    for script in compat.discover():
        tree = ast.parse(script.path.read_text())
        first = next(node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))
        assert isinstance(first, ast.Import) and [a.name for a in first.names] == ["optuna"], script.name
        assert script.apis, f"{script.name}: its docstring has no 'APIs:' line"


@pytest.mark.parametrize("script", list(_tunelab_params()))
def test_tunelab_runs_what_optuna_runs(script, outcomes):
    if script.name in expected.OPTUNA_FAILS:
        pytest.skip(f"fails with Optuna too: {expected.OPTUNA_FAILS[script.name]}")
    out = outcomes[(script.name, "tunelab")].result()
    missing = _missing_third_party(out.error)
    if missing is not None:
        pytest.skip(f"{script.name} needs {missing}, which is not installed")
    assert out.passed, f"{script.name} with tunelab: {out.error}\n{out.output}"


@pytest.mark.parametrize("script", [pytest.param(s, id=s.name) for s in FAST])
def test_optuna_outcome_is_recorded(script, outcomes):
    if importlib.util.find_spec("optuna") is None:
        pytest.skip("Optuna is not installed: tunelab is checked against the outcomes recorded in "
                    "benchmarks/compat/expected.py")
    out = outcomes[(script.name, "optuna")].result()
    if "optuna-integration" in out.error or _missing_third_party(out.error):
        pytest.skip(f"{script.name} needs a package that is not installed: {out.error}")
    recorded = expected.OPTUNA_FAILS.get(script.name)
    assert out.passed == (recorded is None), (
        f"{script.name} with Optuna: {out.status} {out.error!r}; expected.OPTUNA_FAILS records "
        f"{'a pass' if recorded is None else repr(recorded)}\n{out.output}")
