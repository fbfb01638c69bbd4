"""``tunelab import-optuna``: copy studies from an Optuna database into a tunelab storage.

    tunelab import-optuna --from sqlite:///optuna.db --storage sqlite:///tunelab.db [--study NAME ...]

Reads the Optuna database (SQLite, PostgreSQL, MySQL) read-only through SQLAlchemy, without Optuna
installed, and writes each study with its trials, reported values, attributes and times into the
tunelab storage (see :mod:`tunelab.study._copy` for what is kept). Every study named (default: all)
must be new to the storage; that is checked before anything is written, and a study that fails
half-way is removed again.
"""

from __future__ import annotations

import argparse
from typing import Any

from tunelab._errors import InvalidArgumentError, StudyNotFoundError
from tunelab._records import TrialState
from tunelab.cli._common import add_storage_argument, storage_url


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("import-optuna", help="copy studies from an Optuna database into a tunelab storage",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--from", dest="source", required=True, metavar="URL",
                   help="the Optuna database: sqlite:///optuna.db, postgresql://USER@HOST/DB, mysql+pymysql://...")
    add_storage_argument(p)
    p.add_argument("--study", action="append", metavar="NAME",
                   help="a study to copy (repeat for several; default: every study)")
    p.add_argument("--datetimes", choices=("auto", "utc", "local"), default="auto",
                   help="how the Optuna file's naive times are read: UTC (Optuna 5 writes them so), local time "
                        "(Optuna 4 and earlier) or by the Optuna version that created it (default)")
    p.set_defaults(handler=cmd_import_optuna)


def cmd_import_optuna(args: argparse.Namespace) -> int:
    from tunelab.storage import get_storage, redact_url
    from tunelab.storages._optuna_db import OptunaDatabase
    from tunelab.study._copy import check_free, from_optuna, write_study

    url = storage_url(args)
    with OptunaDatabase(args.source, argument="--from", datetimes=args.datetimes) as db:
        available = db.study_names()
        names = args.study or available
        unknown = [n for n in names if n not in available]
        if unknown:
            raise StudyNotFoundError(f"--study={unknown[0]!r} is invalid: the Optuna database {db.shown!r} holds "
                                     f"the studies {available[:20]}")
        if not names:
            raise InvalidArgumentError(f"--from={db.shown!r} holds no study: nothing to import")
        storage = get_storage(url)
        try:
            check_free(storage, names)
            for name in names:
                raw = db.read_study(name)
                running = sum(t.state == TrialState.RUNNING for t in raw.trials)
                study = from_optuna(raw, shown=db.shown)
                write_study(storage, study, name)
                counts = ", ".join(f"{n} {state}" for state, n in sorted(study.counts().items()))
                note = f"; {running} RUNNING there, copied as FAIL" if running else ""
                print(f"imported study {name!r}: {len(study.trials)} trials ({counts or 'none'}{note})")
        finally:
            storage.close()
    print(f"{len(names)} {'study' if len(names) == 1 else 'studies'} copied from {db.shown} into {redact_url(url)}")
    return 0
