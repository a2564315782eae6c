"""The tables of background jobs (ledger uploads and comparisons started from the web): their
state, their place in the queue a worker claims from, and the files they carry (the upload, the
validation report) — in the database, so that any server shows any job and any worker runs it.

No foreign keys: on SQLite these tables live in a database file of their own
(caseflow.ledger.jobs.job_engine), because the import holds SQLite's one write lock for its whole
transaction while its progress must still be written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from caseflow.db.models import Base

QUEUED = "queued"
CLAIMED = "claimed"
DONE = "done"


class BackgroundJob(Base):
    """One job: `state` is the page's view of it (caseflow.ledger.jobs.Job), `queue` its place in
    the worker queue ("" never queued | queued | claimed | done)."""

    __tablename__ = "background_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    steps: Mapped[str] = mapped_column(String(200), default="")  # ",validation,import" claimed
    task: Mapped[str] = mapped_column(String(20), default="")
    task_args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    queue: Mapped[str] = mapped_column(String(10), default="")
    worker: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_background_jobs_queue", "queue", "id"),
        Index("ix_background_jobs_user", "user_id", "created_at"),
    )


class BackgroundJobFile(Base):
    """A file of a job (name "source": the upload; "report": the validation report lines)."""

    __tablename__ = "background_job_files"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
