"""The SQL schema (SQLAlchemy Core tables), its version and the upgrades from older versions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection

from tunelab._errors import StorageError

#: Bumped whenever the tables change; a file with a newer version is refused, untouched.
#: 2: ``tunelab_trials.write_token`` (the token of the write that last started or finished a trial);
#: the core's own trial fields are trial attributes of kind "core" (system attributes in 1).
SCHEMA_VERSION = 2

metadata = MetaData()

meta = Table(
    "tunelab_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

studies = Table(
    "tunelab_studies", metadata,
    Column("study_id", Integer, primary_key=True, autoincrement=True),
    Column("study_name", String(512), nullable=False, unique=True),
    Column("directions", String(256), nullable=False),
    Column("n_trials", Integer, nullable=False, default=0),
    Column("created", Float, nullable=False),
    sqlite_autoincrement=True,
)

study_attrs = Table(
    "tunelab_study_attrs", metadata,
    Column("study_id", Integer, ForeignKey("tunelab_studies.study_id"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)

trials = Table(
    "tunelab_trials", metadata,
    Column("trial_id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("tunelab_studies.study_id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", Integer, nullable=False),
    Column("value", Float, nullable=True),  # first objective value: sorting and summaries in SQL
    Column("values_json", Text, nullable=True),
    Column("datetime_start", Float, nullable=True),
    Column("datetime_complete", Float, nullable=True),
    Column("heartbeat", Float, nullable=True),
    Column("write_token", String(48), nullable=True),
    UniqueConstraint("study_id", "number", name="tunelab_trials_study_number"),
    Index("tunelab_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

trial_params = Table(
    "tunelab_trial_params", metadata,
    Column("trial_id", Integer, ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("value", Float, nullable=False),
    Column("distribution_json", Text, nullable=False),
)

trial_intermediate = Table(
    "tunelab_trial_intermediate", metadata,
    Column("trial_id", Integer, ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    Column("step", BigInteger, primary_key=True),
    Column("value", Float, nullable=True),  # NULL stands for NaN (SQLite cannot store NaN)
)

trial_attrs = Table(
    "tunelab_trial_attrs", metadata,
    Column("trial_id", Integer, ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)


def check_schema_version(found: str | None, where: str) -> int:
    """The schema version stored as ``found``, refused with a clear error unless this code reads it."""
    if found is None:
        raise StorageError(f"{where!r} has no tunelab schema version; it was left untouched")
    try:
        version = int(found)
    except ValueError:
        raise StorageError(f"{where!r} has an unreadable schema version {found!r}; it was left untouched") from None
    if version < 1:
        raise StorageError(f"{where!r} has an unknown schema version {found!r}; it was left untouched")
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{where!r} was written by a newer tunelab (schema version {version}, this one reads up to "
            f"{SCHEMA_VERSION}); upgrade tunelab. The database was left untouched"
        )
    return version


def upgrade(conn: Connection, found: int) -> None:
    """Bring a database of schema version ``found`` to :data:`SCHEMA_VERSION` (inside the caller's transaction)."""
    if found < 2:
        from tunelab._records import CORE_KEYS, SCHEDULE_KEY_PREFIX

        conn.execute(text(f"ALTER TABLE {trials.name} ADD COLUMN write_token VARCHAR(48)"))
        reserved = trial_attrs.c.key.in_(sorted(CORE_KEYS)) | trial_attrs.c.key.startswith(SCHEDULE_KEY_PREFIX)
        conn.execute(trial_attrs.update().where((trial_attrs.c.kind == "system") & reserved).values(kind="core"))
    conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION)))

