"""Background jobs through the database queue: a server that runs no worker of its own only
queues; `caseflow worker` claims and runs the job; a job is claimed once, and with PostgreSQL a
worker skips a job another holds instead of waiting for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from ledger_support import REGISTRY_HEADER, pid, write_csv
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from support import T0, World
from test_ledger_web import mapping_form, reg_row, token_of, upload
from websupport import AuthActions, make_app

from caseflow.ledger.job_models import BackgroundJob
from caseflow.ledger.jobs import VALIDATED, VALIDATING, JobStore, job_engine
from caseflow.timer.worker import Worker
from caseflow_web.ledger import job_store


@pytest.fixture
def queue_only_app(world: World, app: Flask, engine: Engine, tmp_path: Path) -> Flask:
    """The same database as `app`, served without a worker of its own (several servers)."""
    return make_app(engine, tmp_path / "b", IN_PROCESS_WORKER=False)


def test_a_server_without_its_own_worker_queues_and_caseflow_worker_runs_the_job(
    world: World, queue_only_app: Flask, tmp_path: Path
) -> None:
    client = queue_only_app.test_client()
    AuthActions(client).login("supervisor")
    rows = [reg_row("A001", "张三", "张三", pid(1960, 1), "户主")]
    path = write_csv(tmp_path / "建档立卡.csv", REGISTRY_HEADER, rows, "utf-8-sig")
    token = token_of(upload(client, path, "registry"))
    response = client.post(
        f"/ledger/jobs/{token}/mapping", data=mapping_form(queue_only_app, token)
    )
    assert response.status_code == 302
    store = job_store(queue_only_app)
    assert "ledger_threads" not in queue_only_app.extensions  # the web process only queued
    assert store.load(token).phase == VALIDATING
    # A worker elsewhere: its own cache folder, the upload comes from the database.
    elsewhere = JobStore(tmp_path / "worker-cache", store.engine)
    worker = Worker(queue_only_app.extensions["caseflow_sessions"], elsewhere, clock=lambda: T0)
    assert worker.run(once=True) == 1
    job = store.load(token)
    assert job.phase == VALIDATED and job.rows_total == 1, job.message
    assert worker.run(once=True) == 0  # claimed once
    progress = client.get(f"/ledger/jobs/{token}/progress.json").get_json()
    assert progress["phase"] == VALIDATED and progress["percent"] == 100


def test_a_claimed_job_is_not_claimed_again_and_a_held_one_is_skipped(
    world: World, engine: Engine, tmp_path: Path
) -> None:
    jobs = job_engine(engine)
    store = JobStore(tmp_path, jobs)
    first = store.create(1, "comparison", "甲", "", T0)
    second = store.create(1, "comparison", "乙", "", T0)
    for job in (first, second):
        store.enqueue(job.token, "comparison", {"now": T0.isoformat()})
    if engine.dialect.name == "postgresql":
        with Session(jobs) as holder:  # another worker is in the middle of claiming `first`
            holder.scalar(
                select(BackgroundJob).where(BackgroundJob.token == first.token).with_for_update()
            )
            taken = store.claim_next("w2", T0)
            assert taken is not None and taken.token == second.token  # skipped, no waiting
        assert store.claim_next("w1", T0).token == first.token  # type: ignore[union-attr]
    else:
        assert store.claim_next("w1", T0).token == first.token  # type: ignore[union-attr]
        assert store.claim_next("w2", T0).token == second.token  # type: ignore[union-attr]
    assert store.claim_next("w3", T0) is None
    with Session(jobs) as session:
        holders = dict(session.execute(select(BackgroundJob.token, BackgroundJob.worker)).all())
    assert holders[first.token] != holders[second.token]
