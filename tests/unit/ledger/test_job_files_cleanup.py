"""No upload outlives its job: a failed job keeps no files, a (re)started server marks jobs whose
worker died as interrupted and removes their files, and an upload nobody goes on with loses
its file after a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.engine import make_engine
from caseflow.ledger import background
from caseflow.ledger.job_models import BackgroundJobFile
from caseflow.ledger.jobs import (
    ABANDONED_AFTER,
    CANCELLED,
    FAILED,
    IMPORTED,
    IMPORTING,
    KEEP_FOR,
    STALE_AFTER,
    VALIDATED,
    Job,
    JobNotFound,
    JobStore,
    job_engine,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "cache", job_engine(make_engine(f"sqlite:///{tmp_path / 'db'}")))


def _job_with_files(store: JobStore, phase: str, at: datetime) -> Job:
    job = store.create(7, "registry", "名单.xlsx", ".xlsx", at)
    source = store.folder(job.token) / "source.xlsx"
    source.write_bytes(b"PK" + b"x" * 1000)
    report = store.folder(job.token) / "report.jsonl"
    report.write_text("{}\n", encoding="utf-8")
    store.keep_file(job, source)
    store.keep_file(job, report)
    return store.update(job.token, at, phase=phase)


def _files(store: JobStore, job: Job) -> set[str]:
    with Session(store.engine) as session:
        stored = session.scalars(
            select(BackgroundJobFile.name).where(BackgroundJobFile.token == job.token)
        )
        return set(stored)


def test_a_failed_step_removes_the_upload_and_its_report(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    job = _job_with_files(store, "validating", NOW)
    background._fail(store, job.token, lambda: NOW, "无法读取文件")
    assert _files(store, job) == set()
    assert not store.folder(job.token).exists()  # nor the local copies
    assert store.load(job.token).phase == FAILED


def test_a_restart_cleans_up_after_dead_and_ended_jobs(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    dead = _job_with_files(store, IMPORTING, NOW - STALE_AFTER - timedelta(minutes=5))
    failed = _job_with_files(store, FAILED, NOW - timedelta(hours=1))
    imported = _job_with_files(store, IMPORTED, NOW - timedelta(hours=1))
    abandoned = _job_with_files(store, VALIDATED, NOW - ABANDONED_AFTER - timedelta(hours=1))
    waiting = _job_with_files(store, VALIDATED, NOW - timedelta(hours=2))
    ancient = _job_with_files(store, IMPORTED, NOW - KEEP_FOR - timedelta(days=1))
    store.clean_up(NOW)
    marked = store.load(dead.token)
    assert marked.phase == FAILED and "导入已中断" in marked.message
    assert _files(store, dead) == set()
    assert _files(store, failed) == set()
    assert _files(store, imported) == {"report"}  # the findings stay a while
    assert _files(store, abandoned) == set()
    assert store.load(abandoned.token).phase == CANCELLED
    assert _files(store, waiting) == {"source", "report"}
    with pytest.raises(JobNotFound):
        store.load(ancient.token)  # gone whole


def test_a_job_whose_worker_died_long_ago_is_pruned(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    dead = _job_with_files(store, IMPORTING, NOW - KEEP_FOR - timedelta(days=1))
    assert store.prune(NOW) == 1 and _files(store, dead) == set()
