"""Config files for ``tunelab run``: a TOML file describing the objective, metric, search space,
sampler, pruner and budget, validated before anything runs.

Errors name the file, the line and the key, and say what is allowed; unknown keys are errors with
a did-you-mean. See :mod:`tunelab.config._model` for every key and
:mod:`tunelab.config._params` for the parameter syntax (conditional parameters, schedule spaces).

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "tune.toml").write_text('''
... [objective]
... function = "train:objective"
... [metric]
... name = "loss"
... [budget]
... n_trials = 5
... [parameters]
... x = {type = "float", low = -1.0, high = 1.0}
... ''')
>>> config = load_config(folder / "tune.toml")
>>> config.study_name, config.n_trials, config.parameters[0].kind
('tune', 5, 'float')
"""

from tunelab.config._model import Config, Objective, load_config
from tunelab.config._params import ParamSpec, suggest_all
from tunelab.config._source import ConfigError

__all__ = ["Config", "ConfigError", "Objective", "ParamSpec", "load_config", "suggest_all"]
