"""The ``tunelab`` sweeper: its config dataclass (``hydra/sweeper: tunelab``) and the Sweeper plugin.

Everything it does beyond Hydra's plumbing is in :mod:`tunelab.integrations.hydra`.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional  # noqa: UP035 - OmegaConf reads the config's annotations

from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

_log = logging.getLogger(__name__)


@dataclass
class TunelabSweeperConf:
    """``hydra.sweeper`` under ``hydra/sweeper=tunelab`` (docs/hydra.md explains each key)."""

    _target_: str = "hydra_plugins.tunelab_sweeper.tunelab_sweeper.TunelabSweeper"
    #: No sampler or pruner config is chosen, so ``override hydra/sweeper/sampler: nsgaii`` (the
    #: Optuna sweeper's spelling) can choose one of the group's: ``{name: nsgaii}``.
    defaults: List[Any] = field(default_factory=lambda: ["_self_", {"sampler": None}, {"pruner": None}])  # noqa: UP006
    #: Hydra passes sampler and pruner as written: tunelab builds their _target_ (an optuna.samplers
    #: class means tunelab's class of that name, so optuna need not be installed).
    _recursive_: bool = False
    #: None (tunelab's AutoSampler), a name ("tpe"), {name, args, seed}, or a _target_ mapping.
    sampler: Any = None
    #: "minimize", "maximize" or a list of them, one per objective the task returns.
    direction: Any = "minimize"
    #: The study's name; by default the task's (so that a rerun resumes it in a persistent storage).
    study_name: Optional[str] = "${hydra.job.name}"  # noqa: UP045
    #: A tunelab storage URL ("sqlite:///tunelab.db"); None keeps the study in memory.
    storage: Optional[str] = None  # noqa: UP045
    #: Seconds between heartbeats of the running trials (file and server storages; null: none): a
    #: sweep killed hard leaves no trial RUNNING for ever, the next sweep fails it and runs it again.
    heartbeat_interval: Optional[float] = 10.0  # noqa: UP045
    #: A RUNNING trial silent this long belongs to a dead sweep (default: four intervals).
    grace_period: Optional[float] = None  # noqa: UP045
    #: How often such a lost trial is queued again with its parameters.
    retries: int = 1
    #: The study's budget: the sweep runs until the study holds this many counted trials.
    n_trials: int = 20
    #: Trials launched together in one batch through Hydra's launcher.
    n_jobs: int = 1
    #: None (MedianPruner), a name ("none", "median"), {name, args, seed}, or a _target_ mapping.
    pruner: Any = None
    #: The search space: override key -> sweep (choice / interval / range), fixed value,
    #: {space, when} (conditional) or {schedule: {...}, when} (a learning-rate schedule).
    params: Optional[Dict[str, Any]] = None  # noqa: UP006, UP045
    #: The Optuna sweeper's keys that tunelab lacks: anything but null is refused, saying what to write.
    custom_search_space: Optional[str] = None  # noqa: UP045
    max_failure_rate: Optional[float] = None  # noqa: UP045
    search_space: Optional[Dict[str, Any]] = None  # noqa: UP006, UP045


ConfigStore.instance().store(group="hydra/sweeper", name="tunelab", node=TunelabSweeperConf, provider="tunelab")
#: ``hydra/sweeper/sampler=<name>``: the samplers tunelab builds from a name alone (a test keeps this list
#: in step with tunelab.samplers, which is not imported here: Hydra imports every plugin on start).
SAMPLER_GROUP = ("auto", "bruteforce", "cmaes", "gp", "grid", "nsgaii", "qmc", "random", "tpe")
#: ``hydra/sweeper/pruner=<name>``, likewise (the Optuna sweeper's group holds ``hyperband``).
PRUNER_GROUP = ("hyperband", "median", "none", "percentile", "rescaledhyperband", "rescaledsuccessivehalving",
                "successivehalving", "threshold", "wilcoxon")
for _group, _names in (("sampler", SAMPLER_GROUP), ("pruner", PRUNER_GROUP)):
    for _name in _names:
        ConfigStore.instance().store(group=f"hydra/sweeper/{_group}", name=_name, node={"name": _name},
                                     provider="tunelab")


class TunelabSweeper(Sweeper):
    """A Hydra sweeper whose jobs are the trials of a tunelab study (ask, launch, tell)."""

    def __init__(self, sampler: Any = None, direction: Any = "minimize", study_name: str | None = None,
                 storage: str | None = None, n_trials: int = 20, n_jobs: int = 1, pruner: Any = None,
                 params: Any = None, heartbeat_interval: float | None = 10.0, grace_period: float | None = None,
                 retries: int = 1, custom_search_space: str | None = None, max_failure_rate: float | None = None,
                 search_space: Any = None) -> None:
        self.sampler = sampler
        self.direction = direction
        self.study_name = study_name
        self.storage = storage
        self.n_trials = n_trials
        self.n_jobs = n_jobs
        self.pruner = pruner
        self.params = params
        self.optuna_only = {"custom_search_space": custom_search_space, "max_failure_rate": max_failure_rate,
                            "search_space": search_space}
        self.liveness = {"heartbeat_interval": heartbeat_interval, "grace_period": grace_period, "retries": retries}
        self.config: DictConfig | None = None
        self.launcher: Any = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> Any:
        from tunelab.integrations import hydra as th

        th.refuse_optuna_only(**self.optuna_only)
        space = th.SearchSpace.parse(self.params, arguments)
        study = th.open_study(study_name=self.study_name, storage=self.storage, direction=self.direction,
                              sampler=self.sampler, pruner=self.pruner, space=space, **self.liveness)
        _log.info("Study: %s, storage: %s, sampler: %s, pruner: %s, directions: %s", study.study_name,
                  self.storage or "in memory", type(study.sampler).__name__, type(study.pruner).__name__,
                  [d.name.lower() for d in study.directions])
        th.run_sweep(study, space, n_trials=self.n_trials, n_jobs=self.n_jobs,
                     launch=lambda overrides, first: self.launcher.launch(overrides, initial_job_idx=first),
                     validate=self.validate_batch_is_legal)
        self._save_results(study)
        if self.storage is None:
            _log.info("The study was kept in memory; set hydra.sweeper.storage (e.g. sqlite:///tunelab.db) to "
                      "keep it for tunelab report, the dashboard and a resumed sweep")
        return study

    def _save_results(self, study: Any) -> None:
        """Write optimization_results.yaml (the best trial(s)) into the sweep folder, and log them."""
        from tunelab import TrialState

        if not any(t.state == TrialState.COMPLETE for t in study.trials):
            _log.warning("No trial of study %s completed: no best parameters", study.study_name)
            return
        results: dict[str, Any] = {"name": "tunelab", "study_name": study.study_name}
        if len(study.directions) == 1:
            results.update(best_params=dict(study.best_params), best_value=study.best_value)
            _log.info("Best parameters: %s", study.best_params)
            _log.info("Best value: %s", study.best_value)
        else:
            results["solutions"] = [{"params": dict(t.params), "values": list(t.values)} for t in study.best_trials]
            _log.info("Number of best trials (Pareto front): %d", len(study.best_trials))
        results = {k: _plain(v) for k, v in results.items()}
        folder = Path(str(self.config.hydra.sweep.dir))  # type: ignore[union-attr] - set by setup()
        folder.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(OmegaConf.create(results), folder / "optimization_results.yaml")


def _plain(value: Any) -> Any:
    """Parameter values as YAML can hold them (a schedule's parameters are plain already)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)
