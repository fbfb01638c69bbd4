"""Declared argument constraints: a public class or function states its arguments' rules once.

A *table* maps argument names to constraints. :func:`constrained` attaches it to a function, or to
a class (around its ``__init__``, the generated one of a dataclass included), and checks every
argument the caller passed before the body runs, with the house's one message template::

    name=value is invalid for Where: must be <what is allowed>

An argument whose *type* is not allowed at all raises :class:`~tunelab.InvalidTypeError`; one of an
allowed type whose *value* is not raises :class:`~tunelab.InvalidArgumentError` (or the subclass
given as ``error=``, e.g. ``ScheduleError``). A bool is never a number, NaN never a number unless
declared (``Real(nan=True)``), infinity only where declared (``Real(finite=False)``). Rules that tie
arguments together (``low <= high``) stay in the body, after the table, raising
:func:`tunelab._errors.invalid`.

>>> @constrained({"n": Integral(min=1), "rate": Real(0, 1), "mode": Options("fast", "slow"),
...               "seed": (None, Integral(min=0))})
... def run(n, *, rate=0.5, mode="fast", seed=None):
...     return n * rate
>>> run(4)
2.0
>>> run(True)
Traceback (most recent call last):
...
tunelab._errors.InvalidTypeError: n=True (type bool) is invalid for run: must be an integer >= 1
>>> run(2, rate=float("nan"))
Traceback (most recent call last):
...
tunelab._errors.InvalidArgumentError: rate=nan is invalid for run: must be a number in [0, 1]
>>> run(2, seed=-1)
Traceback (most recent call last):
...
tunelab._errors.InvalidArgumentError: seed=-1 is invalid for run: must be None or an integer >= 0

A class is decorated the same way; messages name the class of the object being built (a subclass
calling ``super().__init__`` is named itself), or what ``where=`` says: a string, or a function of
the class (schedules use their family name)::

    @constrained({"n_startup_trials": Integral(min=0), "seed": (None, Integral(min=0))})
    class MySampler(Sampler):
        def __init__(self, *, n_startup_trials=10, seed=None): ...

A constraint is one of :class:`Real`, :class:`Integral`, :class:`Bool`, :class:`Options`,
:class:`String`, :class:`Function`, :class:`InstanceOf`, :class:`SubclassOf`, :class:`ListOf`
(each in ``_scalars`` / ``_composite``, on the :class:`Constraint` protocol of ``_base``), ``None``
(the value None) or a tuple of those (:class:`AnyOf`, any of them); most take ``what=`` to describe
the allowed values in the caller's words. For one value outside a declared signature,
:func:`check` applies a constraint with the same template. Every table is kept in a registry,
:func:`declarations`, which one generic test (``tests/test_constraints.py``) walks, feeding each
declared argument the invalid values its constraint generates (:meth:`Constraint.invalid_values`):
declaring a table is all it takes to be tested.

Checking is cheap enough for the hot path (``suggest_*`` builds a distribution per call): the
decorator writes, once per table, a function with the callee's own signature that gives each
passed argument one quick test (:meth:`Constraint.fast`: exact builtin types, a few comparisons);
only a value that test does not accept takes the generic path, which converts it or raises.
"""

from tunelab._constraints._base import MISS, Constraint, is_bool
from tunelab._constraints._composite import AnyOf, ListOf, as_constraint
from tunelab._constraints._declare import PLACEHOLDER, Declaration, check, constrained, declarations
from tunelab._constraints._scalars import Bool, Function, InstanceOf, Integral, Options, Real, String, SubclassOf

__all__ = [
    "MISS", "PLACEHOLDER", "AnyOf", "Bool", "Constraint", "Declaration", "Function", "InstanceOf", "Integral", "ListOf",
    "Options", "Real", "String", "SubclassOf", "as_constraint", "check", "constrained", "declarations", "is_bool",
]
