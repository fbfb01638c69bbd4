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

import numpy as np
import pytest

import tunelab
from tunelab import InvalidArgumentError, InvalidTypeError, MissingExtraError
from tunelab._constraints import (
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
                "space_from_config", "from_torch"}
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
}


@pytest.mark.parametrize("package", ["tunelab.space", "tunelab.pruners", "tunelab.schedules"])
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


@pytest.mark.parametrize("declaration", DECLARED, ids=lambda d: d.where)
def test_tables_name_real_parameters_and_their_defaults_satisfy_them(declaration):
    signature = inspect.signature(declaration.target)
    for name, constraint in declaration.table.items():
        assert name in signature.parameters, f"{declaration.where} declares {name!r}, which it does not take"
        default = signature.parameters[name].default
        if default is not inspect.Parameter.empty:
            assert constraint.accepts(default), f"{declaration.where}: default {name}={default!r} breaks {constraint}"


@pytest.mark.parametrize(("declaration", "name"), CASES, ids=[f"{d.where}-{n}" for d, n in CASES])
def test_every_declared_argument_refuses_its_invalid_values_by_name(declaration, name):
    constraint = declaration.table[name]
    values = constraint.invalid_values()
    assert values, f"{declaration.where}.{name}: its constraint generated no invalid value"
    named = re.compile(rf"^{re.escape(name)}(\[\d+\])?=")
    for value in values:
        expected = InvalidTypeError if constraint.kind(value) == "type" else declaration.error
        with pytest.raises((InvalidArgumentError, InvalidTypeError)) as caught:
            declaration.target(**{name: value})
        message = str(caught.value)
        assert isinstance(caught.value, expected), f"{declaration.where}({name}={value!r}): {caught.value!r}"
        assert named.search(message), f"{declaration.where}({name}={value!r}) does not name it: {message}"
        assert f" for {declaration.where}: must be " in message, message


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
