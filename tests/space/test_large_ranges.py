"""Ranges at the edge of float64 (issue 19, defect 12): exact where float64 can hold every value,
refused up front, naming the argument and the allowed range, where it cannot; never a numpy error."""

import math

import numpy as np
import pytest

import tunelab
from tunelab import InvalidArgumentError
from tunelab.samplers import (
    AutoSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIISampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from tunelab.samplers._tpe_parzen import Axis
from tunelab.samplers._unit import from_unit, snap_array, to_unit
from tunelab.space import FloatDistribution, IntDistribution, distribution_from_json

LOW = 2**60
HIGH = 2**60 + 10

def test_integers_beyond_float_precision_round_trip_exactly():
    d = IntDistribution(LOW, HIGH)
    for v in range(LOW, HIGH + 1):
        assert d.to_external(d.to_internal(v)) == v and d.contains(v)
    assert not d.contains(LOW - 1) and not d.contains(HIGH + 1)
    assert d.to_internal(LOW) == 0.0 and d.to_internal(HIGH) == 10.0
    assert distribution_from_json(d.to_json()) == d
    stepped = IntDistribution(-(2**62), -(2**62) + 2**53, step=2**20)
    assert stepped.to_external(stepped.to_internal(-(2**62) + 2**40)) == -(2**62) + 2**40


def test_ranges_within_float_precision_keep_the_value_as_their_encoding():
    d = IntDistribution(-(2**53), 2**53)
    assert d.to_internal(2**53 - 1) == float(2**53 - 1) and d.to_external(float(2**53)) == 2**53


@pytest.mark.parametrize(("make", "match"), [
    (lambda: IntDistribution(0, 2**63), r"^high=9223372036854775808 is invalid for IntDistribution: must be at most "
                                        r"low \+ 2\*\*53 = 9007199254740992 when a bound lies beyond ±2\*\*53"),
    (lambda: IntDistribution(-(2**63), 0), r"^low=-9223372036854775808 is invalid for IntDistribution: must be at "
                                           r"least high - 2\*\*53 = -9007199254740992"),
    (lambda: IntDistribution(1, 2**60, log=True), r"^high=1152921504606846976 .* at most 2\*\*53 when log=True"),
    (lambda: FloatDistribution(-1e308, 1e308), r"^high=1e\+308 is invalid for FloatDistribution: must be at most "
                                               r"low \+ 1.7976931348623157e\+308 \(high - low must be a finite float64"),
    (lambda: FloatDistribution(0.0, 1e300, step=1e-300), r"^step=1e-300 is invalid for FloatDistribution: must be at "
                                                          r"least \(high - low\) / 2\*\*53"),
    (lambda: FloatDistribution(0.0, 10**400), r"^high=10000.* is invalid for FloatDistribution: must be a finite"),
])
def test_ranges_float64_cannot_hold_are_refused_up_front(make, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make()


@pytest.mark.parametrize(("method", "low", "high", "name"), [
    ("suggest_int", 0, 2**63, "high"),
    ("suggest_int", -(2**63), 2**63 - 1, "high"),
    ("suggest_float", -1e308, 1e308, "high"),
])
@pytest.mark.parametrize("sampler", [None, RandomSampler(seed=0), TPESampler(seed=0)], ids=["default", "random", "tpe"])
def test_suggest_refuses_them_with_a_tunelab_error(sampler, method, low, high, name):
    trial = tunelab.create_study(sampler=sampler).ask()
    with pytest.raises(InvalidArgumentError, match=rf"^{name}=.* is invalid for (Int|Float)Distribution: must be"):
        getattr(trial, method)("x", low, high)


def _suggested(sampler, n_trials, storage=None, **kwargs):
    study = tunelab.create_study(sampler=sampler, storage=storage, **kwargs)
    values = []
    for i in range(n_trials):
        trial = study.ask()
        values.append(trial.suggest_int("x", LOW, HIGH))
        study.tell(trial, float((values[-1] - LOW - 4) ** 2 + i % 3))
    return study, values


@pytest.mark.parametrize("sampler", [None, RandomSampler(seed=1), TPESampler(seed=1, n_startup_trials=10)],
                         ids=["default", "random", "tpe"])
def test_suggest_int_beyond_float_precision_gives_distinct_exact_integers(sampler):
    study, values = _suggested(sampler, 30)
    assert all(type(v) is int and LOW <= v <= HIGH for v in values)
    assert len(set(values)) >= 5
    assert [t.params["x"] for t in study.trials] == values


def test_tpe_keeps_proposing_distinct_values_after_its_startup_trials():
    _, values = _suggested(TPESampler(seed=1, n_startup_trials=5), 30)
    assert all(LOW <= v <= HIGH for v in values) and len(set(values[5:])) >= 3


#: Ranges beyond ±2**53 (offset encoding) for the model phase of every sampler: (low, high, step).
WIDE = {
    "x": (LOW, HIGH, 1),
    "y": (-(2**62), -(2**62) + 2**40, 2**20),  # 2**20 + 1 values, at the negative end
    "z": (2**53 - 5, 2**53 + 5, 1),  # just across the edge: offsets too
}


def _wide_objective(trial):
    values = {name: trial.suggest_int(name, low, high, step=step) for name, (low, high, step) in WIDE.items()}
    # a minimum inside each range, far from low: a sampler stuck at low (float64 bounds) never gets there
    return sum(((v - low) / (high - low) - 0.7) ** 2 for v, (low, high, _) in
               zip(values.values(), WIDE.values()))


MODEL_PHASE = {  # name -> (sampler, directions, trials of random start)
    "default": (lambda: AutoSampler(seed=3), 1, 10),
    "tpe": (lambda: TPESampler(seed=3, n_startup_trials=5), 1, 5),
    "tpe-multi": (lambda: TPESampler(seed=3, n_startup_trials=5), 2, 5),
    "gp": (lambda: GPSampler(seed=3, n_startup_trials=5), 1, 5),
    "cmaes": (lambda: CmaEsSampler(seed=3, n_startup_trials=5), 1, 5),
    "qmc": (lambda: QMCSampler(seed=3), 1, 1),
    "nsga2": (lambda: NSGAIISampler(seed=3, population_size=5), 2, 5),
}


@pytest.mark.parametrize("name", sorted(MODEL_PHASE))
def test_every_sampler_models_ranges_beyond_float_precision_exactly(name):
    make, n_objectives, n_startup = MODEL_PHASE[name]
    study = tunelab.create_study(sampler=make(), directions=["minimize"] * n_objectives)
    objective = _wide_objective if n_objectives == 1 else (lambda t: (_wide_objective(t), t.params["x"] - LOW))
    study.optimize(objective, n_trials=25)
    model = study.trials[n_startup:]
    for p, (low, high, step) in WIDE.items():
        values = [t.params[p] for t in model]
        assert all(type(v) is int and low <= v <= high and (v - low) % step == 0 for v in values), (p, values)
        assert len(set(values)) >= 4, (p, values)  # float64 bounds give low (or one value) every time
    if n_objectives == 1 and name != "qmc":  # it learns: the best trial lies near 0.7 of every range
        assert study.best_value < 0.1


def test_grid_sampler_takes_exact_grid_values_beyond_float_precision():
    grid = {"x": [LOW, LOW + 1, HIGH]}
    study = tunelab.create_study(sampler=GridSampler(grid))
    study.optimize(lambda t: float(t.suggest_int("x", LOW, HIGH) - LOW), n_trials=5)
    assert sorted(t.params["x"] for t in study.trials) == [LOW, LOW + 1, HIGH]


@pytest.mark.parametrize("d", [IntDistribution(LOW, HIGH), IntDistribution(-(2**62), -(2**62) + 2**40, step=2**20),
                               IntDistribution(2**53 - 5, 2**53 + 5)], ids=["2**60", "stepped", "edge"])
def test_model_encodings_round_trip_every_value_beyond_float_precision(d):
    axis = Axis.of(d)
    assert (axis.low, axis.high) == (-d.step / 2, d.high - d.low + d.step / 2)
    values = [d.low + k * d.step for k in (0, 1, 2, 5, (d.high - d.low) // d.step - 1, (d.high - d.low) // d.step)]
    for v in values:
        assert axis.decode(axis.encode(d.to_internal(v))) == v
        assert from_unit(d, to_unit(d, v)) == v
        assert from_unit(d, float(snap_array(d, np.array([to_unit(d, v)]))[0])) == v
    assert from_unit(d, 0.0) == d.low and from_unit(d, 1.0) == d.high
    assert axis.decode(axis.low) == d.low and axis.decode(axis.high) == d.high


def test_exact_integers_survive_a_sqlite_storage(tmp_path):
    url = f"sqlite:///{tmp_path / 'big.db'}"
    _, values = _suggested(RandomSampler(seed=2), 12, storage=url, study_name="big")
    loaded = tunelab.load_study(study_name="big", storage=url)
    assert [t.params["x"] for t in loaded.trials] == values and len(set(values)) > 3


def test_a_single_valued_range_beyond_float_precision():
    trial = tunelab.create_study(sampler=RandomSampler(seed=0)).ask()
    assert trial.suggest_int("x", LOW + 1, LOW + 1) == LOW + 1


@pytest.mark.parametrize("sampler", [None, RandomSampler(seed=0), TPESampler(seed=0)], ids=["default", "random", "tpe"])
def test_the_widest_finite_float_range_samples_without_overflow(sampler):
    study = tunelab.create_study(sampler=sampler)
    for i in range(15):
        trial = study.ask()
        x = trial.suggest_float("x", -8e307, 8e307)
        assert math.isfinite(x) and -8e307 <= x <= 8e307
        study.tell(trial, abs(x) / 1e307 + i % 2)
