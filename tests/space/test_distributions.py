import math

import pytest

from tunelab import InvalidArgumentError, InvalidTypeError
from tunelab.space import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_from_json,
)


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(0.0, 1.0),
        FloatDistribution(1e-5, 1.0, log=True),
        FloatDistribution(-1.0, 1.0, step=0.25),
        IntDistribution(0, 10),
        IntDistribution(1, 1024, log=True),
        IntDistribution(2, 20, step=3),
        CategoricalDistribution(["a", 1, 2.5, None, True]),
    ],
)
def test_json_round_trip_gives_an_equal_distribution(dist):
    assert distribution_from_json(dist.to_json()) == dist
    assert hash(distribution_from_json(dist.to_json())) == hash(dist)


def test_distributions_are_immutable():
    d = FloatDistribution(0.0, 1.0)
    with pytest.raises(AttributeError):
        d.low = 0.5


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: FloatDistribution(2.0, 1.0), r"low=2.0 is invalid for FloatDistribution: must be at most high=1.0"),
        (lambda: FloatDistribution(0.0, 1.0, log=True), r"low=0.0 .* must be > 0 when log=True"),
        (lambda: FloatDistribution(-1.0, 1.0, log=True), r"low=-1.0 .* must be > 0 when log=True"),
        (lambda: FloatDistribution(0.0, 1.0, step=0.3), r"step=0.3 .* must be a divisor of the range"),
        (lambda: FloatDistribution(0.0, 1.0, step=-0.1), r"step=-0.1 .* must be None or a finite number > 0"),
        (lambda: FloatDistribution(1e-3, 1.0, log=True, step=0.1), r"step=0.1 .* None when log=True"),
        (lambda: FloatDistribution(0.0, math.inf), r"high=inf .* must be a finite number"),
        (lambda: FloatDistribution(0.0, 10**400), r"high=1000.*0 is invalid for FloatDistribution: must be a finite"),
        (lambda: FloatDistribution(0.0, math.nan), r"high=nan .* must be a finite number"),
        (lambda: IntDistribution(5, 1), r"low=5 is invalid for IntDistribution: must be at most high=1"),
        (lambda: IntDistribution(0, 10, log=True), r"low=0 .* must be > 0 when log=True"),
        (lambda: IntDistribution(0, 10, step=3), r"step=3 .* must be a divisor of the range high - low = 10"),
        (lambda: IntDistribution(0, 10, step=0), r"step=0 .* an integer >= 1"),
        (lambda: IntDistribution(0.5, 3), r"low=0.5 is invalid for IntDistribution: must be an integer"),
        (lambda: IntDistribution(1, 16, log=True, step=2), r"step=2 .* must be 1 when log=True"),
        (lambda: CategoricalDistribution([]), r"choices=\[\] is invalid .* non-empty"),
        (lambda: CategoricalDistribution(["a", "b", "a"]), r"free of duplicates \('a' appears twice\)"),
        (lambda: CategoricalDistribution([1, 1.0]), r"free of duplicates"),
        (lambda: CategoricalDistribution([float("nan")]), r"free of NaN"),
    ],
)
def test_invalid_distributions_say_which_argument_and_what_is_allowed(make, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: CategoricalDistribution([object()]),
         r"choices\[0\]=<object .* must be None, a bool, an int, a float or a str"),
        (lambda: CategoricalDistribution(["a", [1, 2]]), r"choices\[1\]=\[1, 2\] \(type list\)"),
        (lambda: CategoricalDistribution("abc"), r"choices='abc' .* must be a non-empty sequence"),
        (lambda: FloatDistribution("0", 1.0), r"low='0' \(type str\)"),
        (lambda: FloatDistribution(True, 1.0), r"low=True \(type bool\) .* a finite number"),
        (lambda: IntDistribution(0, True), r"high=True \(type bool\) .* an integer"),
        (lambda: FloatDistribution(0.0, 1.0, log="yes"), r"log='yes' .* a bool"),
        (lambda: FloatDistribution(0.0, 1.0, log=1), r"log=1 .* a bool"),
    ],
)
def test_wrong_types_are_type_errors(make, match):
    with pytest.raises(InvalidTypeError, match=match):
        make()


def test_true_and_one_are_different_choices():
    d = CategoricalDistribution([True, 1, "1"])
    assert [d.to_internal(v) for v in (True, 1, "1")] == [0.0, 1.0, 2.0]
    assert d.to_external(1) == 1 and d.to_external(0) is True


def test_contains_respects_bounds_step_and_type():
    assert FloatDistribution(0.0, 1.0, step=0.25).contains(0.75)
    assert not FloatDistribution(0.0, 1.0, step=0.25).contains(0.7)
    assert IntDistribution(2, 20, step=3).contains(17)
    assert not IntDistribution(2, 20, step=3).contains(18)
    assert not IntDistribution(0, 5).contains(2.5)
    assert not CategoricalDistribution(["a"]).contains("b")


def test_single_valued_distributions():
    assert FloatDistribution(1.0, 1.0).single()
    assert IntDistribution(3, 3).single()
    assert CategoricalDistribution(["only"]).single()
    assert not IntDistribution(3, 4).single()


def test_bad_json_is_a_clear_error():
    with pytest.raises(InvalidArgumentError, match="must be a distribution's JSON"):
        distribution_from_json('{"name": "Nope", "attributes": {}}')


def test_categorical_equality_tells_booleans_from_numbers():
    assert CategoricalDistribution([1, True]) != CategoricalDistribution([True, 1])
    assert CategoricalDistribution([True]) != CategoricalDistribution([1])
    assert CategoricalDistribution(["a", None]) == CategoricalDistribution(("a", None))
    a, b = CategoricalDistribution([1, True]), CategoricalDistribution([True, 1])
    assert distribution_from_json(a.to_json()) == a and distribution_from_json(b.to_json()) == b
