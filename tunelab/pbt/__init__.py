"""Population-based training on tunelab's storage and executors, whose result is a learning-rate
:class:`~tunelab.schedules.Schedule` you can replay anywhere.

>>> from tunelab.pbt import PopulationBasedTraining
>>> PopulationBasedTraining(8, budget=20, interval=2).n_exploit
2

See ``docs/pbt.md``.
"""

from tunelab.pbt._lineage import PBTResult, result
from tunelab.pbt._member import Member, PBTError
from tunelab.pbt._pbt import PopulationBasedTraining
from tunelab.pbt._replay import replay

__all__ = ["Member", "PBTError", "PBTResult", "PopulationBasedTraining", "replay", "result"]
