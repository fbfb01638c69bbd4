"""Studies and trials: the define-by-run API (create_study, ask / tell, suggest_*, report)."""

from tunelab._records import FrozenTrial, StudyDirection, StudySummary, TrialState
from tunelab.study._api import create_study, delete_study, get_all_study_summaries, load_study
from tunelab.study._study import Study
from tunelab.study._trial import Trial

__all__ = [
    "FrozenTrial",
    "Study",
    "StudyDirection",
    "StudySummary",
    "Trial",
    "TrialState",
    "create_study",
    "delete_study",
    "get_all_study_summaries",
    "load_study",
]
