"""An upload on its way through the web pages (uploaded → validated → imported), or a comparison
run started there (comparing → compared): its state, its place in the worker queue and its files
(the upload, the validation report) in the database (caseflow.ledger.job_models), so that every
app server shows every job and any `caseflow worker` runs it. A job belongs to the user who
uploaded it.

Files are kept in the database and copied on demand into a local cache folder (the libraries that
read a roster and write a report work on files). On SQLite the job tables live in a database file
of their own (`job_engine`): the import is one transaction that holds SQLite's single write lock
until it commits, and its progress must be written meanwhile.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from caseflow.db.engine import make_engine
from caseflow.engine.uow import UnitOfWork
from caseflow.ledger.job_models import (
    CLAIMED,
    DONE,
    QUEUED,
    BackgroundJob,
    BackgroundJobFile,
)

UPLOADED = "uploaded"
VALIDATING = "validating"
VALIDATED = "validated"
IMPORTING = "importing"
IMPORTED = "imported"
FAILED = "failed"
CANCELLED = "cancelled"
# A comparison run started from the web is a job too (no file: kind COMPARISON_JOB).
COMPARING = "comparing"
COMPARED = "compared"
COMPARISON_JOB = "comparison"
RUNNING = frozenset({VALIDATING, IMPORTING, COMPARING})
PHASE_LABELS = {
    UPLOADED: "待确认列对应",
    VALIDATING: "正在校验",
    VALIDATED: "校验完成，待确认导入",
    IMPORTING: "正在导入",
    IMPORTED: "已导入",
    FAILED: "失败",
    CANCELLED: "已取消",
    COMPARING: "正在比对",
    COMPARED: "比对完成",
}
# A running job whose worker has not beaten for this long died with its process (nothing was
# imported: the import commits once, at the end). The worker beats every HEARTBEAT_EVERY, however
# long a batch of rows takes, so a minute without a beat means it is gone.
STALE_AFTER = timedelta(seconds=60)
HEARTBEAT_EVERY = timedelta(seconds=10)
INTERRUPTED_LABELS = {
    VALIDATING: "校验已中断",
    IMPORTING: "导入已中断",
    COMPARING: "比对已中断",
}
# Uploads nobody finished (or finished long ago) are deleted after this long.
KEEP_FOR = timedelta(days=7)
# An upload nobody went on with (mapped or validated, never imported) loses its file after this
# long: a roster is personal data, and a large one fills the disk.
ABANDONED_AFTER = timedelta(days=1)
ABANDONED_MESSAGE = "上传后超过 1 天未导入，文件已删除"
WAITING = frozenset({UPLOADED, VALIDATED})
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Job:
    """The state of one upload."""

    token: str
    user_id: int
    kind: str
    file_name: str  # as uploaded, for display
    suffix: str  # .csv | .xlsx
    created_at: str  # ISO, aware
    updated_at: str
    phase: str = UPLOADED
    header_row: int = 0
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # header text → field ("" = ignore)
    preset_name: str = ""
    rows_estimate: int = 0
    rows_done: int = 0
    rows_total: int = 0
    rows_invalid: int = 0
    errors: int = 0
    notices: int = 0
    import_id: int | None = None
    import_status: str = ""
    message: str = ""
    run_id: int | None = None  # the comparison run a COMPARISON_JOB stored
    heartbeat_at: str = ""  # ISO, aware: the worker's last beat (read from its own file)

    @property
    def running(self) -> bool:
        """Validation or import in progress."""
        return self.phase in RUNNING

    def percent(self) -> int:
        """Progress of the running phase, 0–100 (99 until the phase has finished)."""
        if not self.running:
            return 100 if self.phase in (VALIDATED, IMPORTED, COMPARED) else 0
        if self.rows_estimate <= 0:
            return 0
        return min(99, self.rows_done * 100 // self.rows_estimate)

    def stale(self, now: datetime) -> bool:
        """True when a running job's worker stopped beating and reporting (its process died)."""
        if not self.running:
            return False
        last = datetime.fromisoformat(self.updated_at)
        if self.heartbeat_at:
            last = max(last, datetime.fromisoformat(self.heartbeat_at))
        return now - last > STALE_AFTER

    def interrupted_label(self) -> str:
        """ "导入已中断" and the like, for a stale job."""
        return INTERRUPTED_LABELS.get(self.phase, "处理已中断")


class JobNotFound(LookupError):
    """No such job for this user."""


SOURCE = "source"
REPORT = "report"


def job_engine(engine: Engine) -> Engine:
    """The engine the job tables are used through: the database's own on PostgreSQL; on SQLite
    a file beside the database (`<name>.jobs.sqlite3`), its tables created on first use."""
    if engine.dialect.name != "sqlite":
        return engine
    database = make_url(engine.url).database or ""
    if database in ("", ":memory:"):
        raise ValueError("the job tables need a SQLite file, not an in-memory database")
    path = Path(database)
    jobs = make_engine(f"sqlite:///{path.with_name(path.stem + '.jobs.sqlite3')}")
    tables = [BackgroundJob.__table__, BackgroundJobFile.__table__]
    BackgroundJob.metadata.create_all(jobs, tables=tables)  # type: ignore[arg-type]
    return jobs


def _job_of(row: BackgroundJob) -> Job:
    known = {f.name for f in fields(Job)}
    job = Job(**{k: v for k, v in row.state.items() if k in known})
    job.heartbeat_at = row.heartbeat_at.isoformat() if row.heartbeat_at else ""
    return job


@dataclass(frozen=True)
class Claimed:
    """A queued job a worker took: what to run and with which arguments."""

    token: str
    task: str
    args: dict[str, Any]


class JobStore:
    """Jobs in the database; their files cached under `root`/<token>/ on this server."""

    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = Path(root)
        self.engine = engine
        self._factory = sessionmaker(bind=engine, autoflush=False, expire_on_commit=False)

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        with self._factory() as session, UnitOfWork(session) as uow:
            yield session
            uow.commit()

    def _row(self, session: Session, token: str, *, lock: bool = False) -> BackgroundJob:
        query = select(BackgroundJob).where(BackgroundJob.token == token)
        if lock and session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = session.scalar(query)
        if row is None:
            raise JobNotFound(token)
        return row

    # ------------------------------------------------------------ files

    def folder(self, token: str) -> Path:
        """The job's local cache folder (the token is checked: no path tricks)."""
        if not _TOKEN.match(token):
            raise JobNotFound(token)
        return self.root / token

    def _file(self, token: str, name: str, local: str) -> Path:
        """The local copy of a job's file, fetched from the database when this server has none
        (a path that does not exist when the job has no such file)."""
        path = self.folder(token) / local
        if not path.exists():
            with self._factory() as session:
                content = session.scalar(
                    select(BackgroundJobFile.content).where(
                        BackgroundJobFile.token == token, BackgroundJobFile.name == name
                    )
                )
            if content is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
                partial.write_bytes(content)
                partial.replace(path)
        return path

    def source(self, job: Job) -> Path:
        """The uploaded file."""
        return self._file(job.token, SOURCE, f"source{job.suffix}")

    def report_lines(self, job: Job) -> Path:
        """The validation report, one JSON object per line."""
        return self._file(job.token, REPORT, "report.jsonl")

    def keep_file(self, job: Job, path: Path) -> None:
        """Store the local file `path` (the job's source or report) for every server."""
        if not path.exists():  # nothing was written (a report without findings)
            return
        name = SOURCE if path.name.startswith("source") else REPORT
        content = path.read_bytes()
        with self._writing() as session:
            session.execute(
                delete(BackgroundJobFile).where(
                    BackgroundJobFile.token == job.token, BackgroundJobFile.name == name
                )
            )
            session.add(BackgroundJobFile(token=job.token, name=name, content=content))

    def drop_source(self, job: Job) -> None:
        """The upload is not needed any more (imported, failed or given up)."""
        with self._writing() as session:
            session.execute(
                delete(BackgroundJobFile).where(
                    BackgroundJobFile.token == job.token, BackgroundJobFile.name == SOURCE
                )
            )
        (self.folder(job.token) / f"source{job.suffix}").unlink(missing_ok=True)

    def discard_files(self, job: Job) -> None:
        """Remove the upload and its report (the job's state stays, for the record)."""
        with self._writing() as session:
            session.execute(delete(BackgroundJobFile).where(BackgroundJobFile.token == job.token))
        shutil.rmtree(self.folder(job.token), ignore_errors=True)

    # ------------------------------------------------------------ state

    def create(self, user_id: int, kind: str, file_name: str, suffix: str, now: datetime) -> Job:
        """A new, empty job."""
        token = secrets.token_hex(16)
        stamp = now.isoformat()
        job = Job(token, user_id, kind, file_name, suffix, stamp, stamp)
        with self._writing() as session:
            session.add(
                BackgroundJob(
                    token=token,
                    user_id=user_id,
                    kind=kind,
                    state=asdict(job),
                    steps="",
                    task="",
                    task_args={},
                    queue="",
                    worker="",
                    created_at=now,
                    updated_at=now,
                )
            )
        self.folder(token).mkdir(parents=True, exist_ok=True)
        return job

    def load(self, token: str, user_id: int | None = None) -> Job:
        """The job; JobNotFound when missing or (with `user_id`) someone else's."""
        self.folder(token)  # checks the token
        with self._factory() as session:
            job = _job_of(self._row(session, token))
        if user_id is not None and job.user_id != user_id:
            raise JobNotFound(token)
        return job

    def update(self, token: str, now: datetime, **changes: Any) -> Job:
        """Load, change, stamp and save, in one transaction (the row locked)."""
        self.folder(token)
        with self._writing() as session:
            row = self._row(session, token, lock=True)
            job = _job_of(row)
            for key, value in changes.items():
                setattr(job, key, value)
            job.updated_at = now.isoformat()
            state = asdict(job)
            state.pop("heartbeat_at")  # a column of its own: a beat never overwrites a change
            row.state = state
            row.updated_at = now
        return job

    def beat(self, token: str, now: datetime) -> None:
        """The worker is alive."""
        with self._writing() as session:
            done = session.execute(
                update(BackgroundJob).where(BackgroundJob.token == token).values(heartbeat_at=now)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise JobNotFound(token)

    def claim(self, job: Job, step: str) -> bool:
        """True exactly once per job and step: a double click never starts two imports."""
        mark = f",{step}"
        with self._writing() as session:
            done = session.execute(
                update(BackgroundJob)
                .where(BackgroundJob.token == job.token, ~BackgroundJob.steps.contains(mark))
                .values(steps=BackgroundJob.steps + mark)
            )
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def prune(self, now: datetime, older_than: timedelta = KEEP_FOR) -> int:
        """Delete jobs untouched for `older_than` (abandoned uploads) and their files."""
        with self._factory() as session:
            rows = session.scalars(
                select(BackgroundJob).where(BackgroundJob.updated_at < now - older_than)
            ).all()
            # A job still "running" without a beat died with its worker: it goes too.
            old = [r.token for r in rows if not _job_of(r).running or _job_of(r).stale(now)]
        if old:
            with self._writing() as session:
                session.execute(delete(BackgroundJobFile).where(BackgroundJobFile.token.in_(old)))
                session.execute(delete(BackgroundJob).where(BackgroundJob.token.in_(old)))
            for token in old:
                shutil.rmtree(self.folder(token), ignore_errors=True)
        return len(old)

    def clean_up(self, now: datetime) -> None:
        """What a starting server does first: a job whose worker died is marked interrupted
        (and leaves the queue); it, a failed or cancelled job and an upload abandoned for
        ABANDONED_AFTER keep no files, an import keeps its report but not the upload (the
        state stays, for the record); jobs past KEEP_FOR go whole."""
        with self._factory() as session:
            jobs = [_job_of(r) for r in session.scalars(select(BackgroundJob))]
            with_files = set(session.scalars(select(BackgroundJobFile.token).distinct()))
        for job in jobs:
            if job.stale(now):
                nothing = "未保存任何比对结果" if job.kind == COMPARISON_JOB else "未导入任何数据"
                message = f"{job.interrupted_label()}，{nothing}（处理进程已停止）"
                self.update(job.token, now, phase=FAILED, message=message)
                self.finish(job.token)
                self.discard_files(job)
            elif job.token not in with_files:
                continue
            elif job.phase in (FAILED, CANCELLED):
                self.discard_files(job)
            elif job.phase == IMPORTED:
                self.drop_source(job)
            elif job.phase in WAITING and now - datetime.fromisoformat(job.updated_at) > (
                ABANDONED_AFTER
            ):
                self.discard_files(job)
                self.update(job.token, now, phase=CANCELLED, message=ABANDONED_MESSAGE)
        self.prune(now)

    def recent(self, user_id: int, limit: int = 10) -> list[Job]:
        """The user's latest jobs, newest first."""
        with self._factory() as session:
            rows = session.scalars(
                select(BackgroundJob)
                .where(BackgroundJob.user_id == user_id)
                .order_by(BackgroundJob.created_at.desc(), BackgroundJob.id.desc())
                .limit(limit)
            ).all()
            return [_job_of(r) for r in rows]

    # ------------------------------------------------------------ the worker queue

    def enqueue(self, token: str, task: str, args: dict[str, Any]) -> None:
        """Put the job in the queue for a worker (`args`: JSON values only)."""
        with self._writing() as session:
            row = self._row(session, token, lock=True)
            row.task, row.task_args, row.queue, row.worker = task, args, QUEUED, ""

    def claim_next(self, worker: str, now: datetime, token: str | None = None) -> Claimed | None:
        """Take the oldest queued job (or the queued job `token`) for `worker`, None when there
        is none. PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never wait for each other;
        SQLite: the unit's BEGIN IMMEDIATE makes the read and the claim one step."""
        with self._writing() as session:
            query = select(BackgroundJob).where(BackgroundJob.queue == QUEUED)
            if token is not None:
                query = query.where(BackgroundJob.token == token)
            query = query.order_by(BackgroundJob.id).limit(1)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = session.scalar(query)
            if row is None:
                return None
            row.queue, row.worker, row.heartbeat_at = CLAIMED, worker, now
            return Claimed(row.token, row.task, dict(row.task_args))

    def finish(self, token: str) -> None:
        """The worker is done with the job (whatever its outcome, recorded in its state)."""
        with self._writing() as session:
            session.execute(
                update(BackgroundJob).where(BackgroundJob.token == token).values(queue=DONE)
            )
