"""Storage classes by name: RDBStorage with engine options, a journal file, in-memory; reopened by a new object.

After Optuna's tutorial "Saving/Resuming Study with RDB Backend" and the JournalStorage docs
(shared file systems without a database server).

APIs: storages.RDBStorage(url, engine_kwargs=), storages.JournalStorage(storages.journal.JournalFileBackend(path)),
storages.InMemoryStorage(), create_study(storage=<object>, study_name=), load_study(study_name=, storage=),
Study.trials
"""
# ruff: noqa: I001
import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend


def objective(trial):
    return trial.suggest_float("x", -1, 1) ** 2


if __name__ == "__main__":
    rdb = optuna.storages.RDBStorage("sqlite:///rdb.db", engine_kwargs={"connect_args": {"timeout": 20}})
    optuna.create_study(storage=rdb, study_name="rdb").optimize(objective, n_trials=3)
    assert len(optuna.load_study(study_name="rdb", storage="sqlite:///rdb.db").trials) == 3

    journal = JournalStorage(JournalFileBackend("journal.log"))
    optuna.create_study(storage=journal, study_name="journal").optimize(objective, n_trials=3)
    reopened = optuna.load_study(study_name="journal", storage=JournalStorage(JournalFileBackend("journal.log")))
    assert len(reopened.trials) == 3

    memory = optuna.storages.InMemoryStorage()
    optuna.create_study(storage=memory, study_name="memory").optimize(objective, n_trials=2)
    assert len(optuna.load_study(study_name="memory", storage=memory).trials) == 2
    print("RDB, journal and in-memory storages")
