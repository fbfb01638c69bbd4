"""Declared argument constraints: the validator's rules, and one generic test for every declared table.

Every module of tunelab is imported, so that every table declared with
:func:`tunelab._constraints.constrained` is in the registry; then each declared argument of each
function or class is fed every invalid value its constraint generates (wrong types, bools for
numbers, NaN, infinities, huge integers, values just outside the range, wrong options, lists with
a bad item) and must be refused with a tunelab error that names the argument and the callee.
Declaring a table is all it takes for a class or function to be tested here.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import sys

import numpy as np
import pytest

import tunelab
import tunelab.study
from tunelab import InvalidArgumentError, InvalidTypeError, MissingExtraError
from tunelab._constraints import (
    MISS,
    PLACEHOLDER,
    AnyOf,
    Bool,
    Function,
    InstanceOf,
    Integral,
    ListOf,
    Options,
    Real,
    String,
    check,
    constrained,
    declarations,
)


def _import_everything() -> dict[str, str]:
    """Import every tunelab module (registering its tables); ``{module: error}`` for those that failed."""
    failed = {}
    for info in pkgutil.walk_packages(tunelab.__path__, "tunelab."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except MissingExtraError:  # an optional framework that is not installed
            pass
        except Exception as exc:  # noqa: BLE001 - reported by test_every_module_imports
            failed[info.name] = f"{type(exc).__name__}: {exc}"
    try:  # the Keras adapter's class is built (and declared) on first use
        from tunelab.integrations import keras as keras_adapter

        keras_adapter.schedule_class()
    except MissingExtraError:
        pass
    return failed


IMPORT_FAILURES = _import_everything()
DECLARED = declarations()
CASES = [(d, name) for d in DECLARED for name in d.table]


def test_every_module_imports():
    assert not IMPORT_FAILURES, f"modules whose tables could not be discovered: {IMPORT_FAILURES}"


def test_the_registry_holds_the_public_classes_and_functions():
    where = {d.where for d in DECLARED}
    expected = {"FloatDistribution", "IntDistribution", "CategoricalDistribution", "MedianPruner",
                "PercentilePruner", "SuccessiveHalvingPruner", "HyperbandPruner", "ThresholdPruner", "PatientPruner",
                "RescaledSuccessiveHalving", "RescaledHyperband", "cooldown_rates", "cooldown_probe", "progress_step",
                "ExponentialDecay", "StepLR", "OneCycleLR", "ReduceLROnPlateau", "exponential_decay",
                "sgdr_schedule", "join_schedules", "get_wsd_schedule", "WarmupStableDecay", "warmup", "space",
                "space_from_config", "from_torch",
                # the study API, and the storage's arguments
                "create_study", "load_study", "delete_study", "get_all_study_summaries", "Study.optimize",
                "Study.tell", "Study.ask", "Study.enqueue_trial", "Study.add_trial", "Study.get_trials",
                "Study.set_user_attr", "Study.trials_dataframe", "Trial.suggest_float", "Trial.suggest_int",
                "Trial.suggest_categorical", "Trial.suggest_schedule", "Trial.suggest", "Trial.report",
                "Trial.set_user_attr", "Trial.set_constraint", "SQLStorage", "SQLStorage.stale_trial_ids",
                "Liveness.of"}
    assert expected <= where, sorted(expected - where)


def _callable_parameters(obj: object) -> list[str]:
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


#: Public callables of the packages below that take arguments but need no table, and why.
UNDECLARED = {
    "tunelab.space.distribution_from_json": "its text is checked by parsing it",
    "tunelab.space.check_compatible": "compares two distributions tunelab built",
    "tunelab.pruners.project": "plumbing called by pruners with the study and a frozen trial",
    "tunelab.schedules.from_keras": "reads a Keras object's config, which the family's table checks",
    "tunelab.schedules.ScheduleSpace": "built by space(), which declares its table",
    "tunelab.schedules.PlateauState": "a state record built by ReduceLROnPlateau",
    "tunelab.study.Study": "built by create_study / load_study, which declare their tables",
    "tunelab.study.Trial": "built by Study.ask",
    "tunelab.study.FrozenTrial": "a record built by storages (Study.add_trial checks the one it is given)",
    "tunelab.study.StudySummary": "a record built by storages",
    "tunelab.study.StudyDirection": "an enum (the tables take its members or their names)",
    "tunelab.study.TrialState": "an enum",
    "tunelab.study.Trial.freeze": "a snapshot for tunelab's own bookkeeping (tell, pruners, samplers)",
}


@pytest.mark.parametrize("package", ["tunelab.space", "tunelab.pruners", "tunelab.schedules", "tunelab.study"])
def test_every_public_callable_with_arguments_declares_them(package):
    module = importlib.import_module(package)
    declared = {d.where for d in DECLARED} | {getattr(d.target, "__name__", "") for d in DECLARED}
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not callable(obj) or (isinstance(obj, type) and issubclass(obj, BaseException)):
            continue
        params = [p for p in _callable_parameters(obj) if p != "self"]
        if params and name not in declared and f"{package}.{name}" not in UNDECLARED:
            missing.append(name)
    assert not missing, f"public callables of {package} without a declared table: {missing}"


@pytest.mark.parametrize("cls", [tunelab.study.Study, tunelab.study.Trial], ids=lambda c: c.__name__)
def test_every_public_method_of_the_study_api_declares_its_arguments(cls):
    declared = {d.where for d in DECLARED}
    missing = [name for name, member in vars(cls).items()
               if not name.startswith("_") and inspect.isfunction(member)
               and [p for p in _callable_parameters(member) if p != "self"]
               and f"{cls.__name__}.{name}" not in declared and f"tunelab.study.{cls.__name__}.{name}" not in UNDECLARED]
    assert not missing, f"public methods of {cls.__name__} without a declared table: {missing}"


@pytest.mark.parametrize("declaration", DECLARED, ids=lambda d: d.where)
def test_tables_name_real_parameters_and_their_defaults_satisfy_them(declaration):
    signature = inspect.signature(declaration.target)
    for name, constraint in declaration.table.items():
        assert name in signature.parameters, f"{declaration.where} declares {name!r}, which it does not take"
        default = signature.parameters[name].default
        if default is not inspect.Parameter.empty:
            assert constraint.accepts(default), f"{declaration.where}: default {name}={default!r} breaks {constraint}"


def _call_with(declaration, name, value):
    """Call the declared callee with ``name=value`` and PLACEHOLDER for every other required argument."""
    args, kwargs = [], {}
    for p in inspect.signature(declaration.target).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or (p.name != name and p.default is not p.empty):
            continue
        given = value if p.name == name else PLACEHOLDER
        if p.kind is p.POSITIONAL_ONLY:
            args.append(given)
        else:
            kwargs[p.name] = given
    return declaration.target(*args, **kwargs)


@pytest.mark.parametrize(("declaration", "name"), CASES, ids=[f"{d.where}-{n}" for d, n in CASES])
def test_every_declared_argument_refuses_its_invalid_values_by_name(declaration, name):
    constraint = declaration.table[name]
    values = constraint.invalid_values()
    assert values, f"{declaration.where}.{name}: its constraint generated no invalid value"
    named = re.compile(rf"^{re.escape(name)}(\[\d+\])?=")
    for value in values:
        expected = InvalidTypeError if constraint.kind(value) == "type" else declaration.error
        with pytest.raises((InvalidArgumentError, InvalidTypeError)) as caught:
            _call_with(declaration, name, value)
        message = str(caught.value)
        assert isinstance(caught.value, expected), f"{declaration.where}({name}={value!r}): {caught.value!r}"
        assert named.search(message), f"{declaration.where}({name}={value!r}) does not name it: {message}"
        assert f" for {declaration.where}: must be " in message, message


#: Values of every kind the quick tests meet: exact builtin types, their edges, and what they leave to the
#: generic path (numpy scalars, subclasses, containers, classes).
POOL = [0, 1, -1, 2, 3, 1.5, -0.0, 0.5, 1e-300, 1e308, -1e308, sys.float_info.max, math.inf, -math.inf, math.nan,
        10**400, -(10**400), 2**53 + 1, 2**63, True, False, None, "", "a", "min", "minimize", "MAXIMIZE", "x" * 600,
        "a\x00b", [], [1], [1.0, 2.0], ["relu", "tanh"], ("relu", None, 1, 2.5, True), [True], [math.nan], (1, 1),
        np.int64(3), np.float64(0.5), np.bool_(True), object(), int, ValueError, KeyboardInterrupt, {}, {"a": 1},
        len, tunelab.TrialState.COMPLETE, tunelab.TrialState.RUNNING, tunelab.StudyDirection.MAXIMIZE]


def _constraints_in_use():
    seen, out = set(), []
    for d in DECLARED:
        for c in d.table.values():
            if id(c) not in seen:
                seen.add(id(c))
                out.append(c)
    return out


def test_the_quick_tests_accept_only_what_the_generic_path_accepts_and_convert_alike():
    checked = 0
    for c in _constraints_in_use():
        quick = c.fast()
        for v in [*POOL, *c.invalid_values()]:
            got = quick(v)
            if got is MISS:
                continue
            checked += 1
            assert c.accepts(v), f"{c!r}: the quick test accepts {v!r}, the generic path refuses it"
            want = c.convert(v)
            assert got == want and type(got) is type(want), f"{c!r}: {v!r} became {got!r}, not {want!r}"
    assert checked > 100  # the quick tests do take the common values


def test_the_quick_tests_leave_the_edges_to_the_generic_path():
    quick = Real().fast()
    assert [quick(v) is MISS for v in (1.5, 10**400, math.inf, math.nan, True, np.float64(1.0))] == [
        False, True, True, True, True, True]
    assert Real(nan=True).fast()(math.nan) is MISS and Real(nan=True).accepts(math.nan)  # decided there
    assert Real(0, 1, min_open=True).fast()(0) is MISS and Real(0, 1, min_open=True).fast()(1) == 1
    assert Integral(min=0).fast()(np.int64(2)) is MISS and check("n", np.int64(2), Integral(min=0)) == 2
    assert ListOf(Real()).fast()([1, 2.5]) == (1, 2.5) and ListOf(Real()).fast()([1, True]) is MISS
    assert AnyOf(None, Integral()).fast()(None) is None and AnyOf(Integral(min=1), Options(-1)).fast()(-1) is MISS
    assert String(max_len=2).fast()("abc") is MISS and Options("a", 1).fast()(True) is MISS


# -- the validator's own rules ------------------------------------------------------------------------


@pytest.mark.parametrize("constraint", [Real(), Real(0, 1), Integral(), Integral(min=0, integral_floats=True)])
@pytest.mark.parametrize("flag", [True, False, np.bool_(True)])
def test_a_bool_is_never_a_number(constraint, flag):
    assert not constraint.accepts(flag)
    assert constraint.kind(flag) == "type"
    with pytest.raises(InvalidTypeError, match=r"x=.* \(type (bool|bool_)\) is invalid"):
        check("x", flag, constraint)


def test_nan_and_infinities_only_where_declared():
    nan, inf = math.nan, math.inf
    assert not Real().accepts(nan) and not Real(finite=False).accepts(nan) and Real(nan=True).accepts(nan)
    assert not Real().accepts(inf) and Real(finite=False).accepts(inf) and Real(finite=False).accepts(-inf)
    assert not Real(finite=False, max=1).accepts(inf)
    assert not Real().accepts(10**400) and Real().accepts(10**300)
    assert not Integral(integral_floats=True).accepts(nan) and not Integral(integral_floats=True).accepts(inf)
    with pytest.raises(InvalidArgumentError, match=r"^x=nan is invalid for f: must be a finite number$"):
        check("x", nan, Real(), where="f")


def test_bounds_open_and_closed():
    assert Real(0, 1).accepts(0) and Real(0, 1).accepts(1)
    assert not Real(0, 1, min_open=True).accepts(0) and not Real(0, 1, max_open=True).accepts(1)
    assert not Real(min=0).accepts(-5e-324)
    assert Real(0, 1, min_open=True).describe() == "a number in (0, 1]"
    assert Integral(min=2).describe() == "an integer >= 2" and Real(max=3).describe() == "a finite number <= 3"


def test_integers_and_integral_floats():
    assert not Integral().accepts(2.0) and Integral().kind(2.0) == "type"
    assert Integral(integral_floats=True).accepts(2.0) and Integral(integral_floats=True).kind(2.5) == "value"
    assert check("n", np.int64(3), Integral()) == 3 and type(check("n", 3.0, Integral(integral_floats=True))) is int


def test_options_compare_with_types():
    o = Options(False, True)
    assert o.accepts(True) and not o.accepts(1) and o.kind(1) == "type"
    s = Options("min", "max")
    assert s.kind("MIN") == "value" and s.kind(None) == "type"
    with pytest.raises(InvalidArgumentError, match=r"mode='MIN' is invalid: must be one of \['min', 'max'\]"):
        check("mode", "MIN", s)


def test_lists_name_the_bad_item_and_become_tuples():
    c = ListOf(Integral(min=0), min_len=1)
    assert check("xs", [1, np.int64(2)], c) == (1, 2)
    with pytest.raises(InvalidArgumentError, match=r"^xs\[1\]=-1 is invalid for f: must be an integer >= 0$"):
        check("xs", [1, -1], c, where="f")
    with pytest.raises(InvalidTypeError, match=r"^xs\[0\]=True \(type bool\)"):
        check("xs", [True], c)
    with pytest.raises(InvalidArgumentError, match=r"^xs=\[\] is invalid: must be a non-empty list of integers >= 0$"):
        check("xs", [], c)
    with pytest.raises(InvalidTypeError, match=r"^xs='12' \(type str\)"):
        check("xs", "12", c)
    assert check("xs", {3}, ListOf(Integral())) == (3,) and not c.takes_type(np.array(5))


def test_alternatives_describe_every_option():
    c = AnyOf(None, Real(0, None, min_open=True))
    assert c.describe() == "None or a finite number > 0"
    assert check("step", None, c) is None and c.kind("a") == "type" and c.kind(-1.0) == "value"
    assert (None, Bool()) != c  # a tuple in a table means AnyOf
    with pytest.raises(InvalidArgumentError, match=r"step=-1 is invalid: must be None or a finite number > 0"):
        check("step", -1, (None, Real(0, None, min_open=True)))


def test_other_constraints():
    assert String(non_empty=True).kind("") == "value" and String().accepts("")
    assert Function().accepts(len) and not Function().accepts(1)
    assert InstanceOf(dict, "a mapping").describe() == "a mapping" and InstanceOf(int).describe() == "an int"
    for c in (String(non_empty=True), Function(), InstanceOf(dict), Bool(), Options("a")):
        assert c.invalid_values() and not any(c.accepts(v) for v in c.invalid_values())


def test_the_decorator_checks_names_converts_and_names_the_built_class():
    with pytest.raises(TypeError, match=r"constraints declared for \['nope'\]"):
        constrained({"nope": Real()})(lambda x: x)

    @constrained({"n": Integral(min=1, integral_floats=True)})
    class Base:
        def __init__(self, n=1):
            self.n = n

    class Child(Base):
        pass

    assert Base(n=2.0).n == 2 and type(Base(2.0).n) is int
    with pytest.raises(InvalidArgumentError, match=r"^n=0 is invalid for Child: must be an integer >= 1$"):
        Child(0)

    @constrained({"rate": Real(0, 1)}, where="module.fit")
    def fit(data, *, rate=0.5):
        return rate

    assert fit([1], rate=1) == 1
    with pytest.raises(InvalidTypeError, match=r"^rate='x' \(type str\) is invalid for module.fit: must be a number in"):
        fit([1], rate="x")
    assert inspect.signature(fit).parameters["rate"].default == 0.5


def test_the_checking_function_keeps_the_signature_and_checks_what_is_passed():
    calls = []

    @constrained({"a": Integral(min=0), "b": ListOf(Real()), "c": (None, Bool()), "d": String(non_empty=True)})
    def f(a, /, b=(1.0,), *rest, c=None, d, **extra):
        calls.append((a, b, rest, c, d, extra))
        return a

    assert inspect.signature(f) == inspect.signature(f.__wrapped__) and f.__name__ == "f"
    assert f(np.int64(2), [1, 2.5], "r", c=np.bool_(True), d="x", e=5) == 2
    assert calls[-1] == (2, (1, 2.5), ("r",), True, "x", {"e": 5}) and type(calls[-1][0]) is int
    f(0, d="y")
    assert calls[-1][1] == (1.0,)  # a default is passed as it is
    with pytest.raises(InvalidArgumentError, match=r"^a=-1 is invalid for f: must be an integer >= 0$"):
        f(-1, d="x")
    with pytest.raises(InvalidTypeError, match=r"^b\[1\]='z' \(type str\) is invalid for f"):
        f(1, [1, "z"], d="x")
    with pytest.raises(InvalidArgumentError, match=r"^d='' is invalid for f"):
        f(1, d="")
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'd'"):
        f(1)  # Python's own error, as without a table
    with pytest.raises(TypeError, match=r"missing required argument\(s\): 'd'"):
        f(1, d=PLACEHOLDER)  # what was given is checked first ...
    with pytest.raises(InvalidArgumentError, match=r"^a=-1 is invalid"):
        f(-1, d=PLACEHOLDER)  # ... and refused before the placeholder is named
    assert len(calls) == 2


def test_long_strings_are_cut_in_messages():
    with pytest.raises(InvalidArgumentError, match=r"^name='x{40}\.\.\.' \(600 characters\) is invalid for f: must be "
                                                   r"a string of 1 to 512 characters without NUL$"):
        check("name", "x" * 600, String(non_empty=True, max_len=512, no_nul=True), where="f")
