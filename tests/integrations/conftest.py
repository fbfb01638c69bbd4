import pytest

#: The drawn schedule's length in optimizer steps.
STEPS = 12


@pytest.fixture
def drawn():
    """A running trial that drew a cosine decay from 0.1 over 12 steps (no warmup, down to 0): ``(trial, schedule)``."""
    import tunelab
    from tunelab import schedules

    trial = tunelab.create_study().ask()
    space = schedules.space(["cosine"], initial=0.1, total_steps=STEPS,
                            args={"cosine": {"alpha": 0.0, "warmup_fraction": 0.0}})
    return trial, trial.suggest_schedule("lr", space)


def tunelab_warnings(caught):
    """The messages of the tunelab warnings among ``caught``."""
    return [str(w.message) for w in caught if str(w.message).startswith("tunelab:")]
