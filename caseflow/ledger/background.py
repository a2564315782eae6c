"""The long steps started from the web pages — validating and importing an upload, comparing —
as functions a worker runs with its own database session (`caseflow worker`, or a thread of the
server that queued them), reporting progress into the job's state (caseflow.ledger.jobs).

Every failure ends as a FAILED job with a Chinese message; the import and the comparison stay
atomic (each commits once, at its end).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import Session

from caseflow.db.models import User
from caseflow.kernel.actors import Actor
from caseflow.ledger.columns import HeaderNotFound
from caseflow.ledger.compare import CompareError, run_comparison
from caseflow.ledger.dryrun import validate_file
from caseflow.ledger.importer import REJECTED, import_roster
from caseflow.ledger.jobs import (
    COMPARED,
    FAILED,
    HEARTBEAT_EVERY,
    IMPORTED,
    VALIDATED,
    Claimed,
    JobNotFound,
    JobStore,
)
from caseflow.ledger.reader import UnreadableFile, estimate_rows
from caseflow.ledger.saved_presets import preset_for

log = logging.getLogger("caseflow.ledger")
SessionFactory = Callable[[], Session]
Clock = Callable[[], datetime]


@contextmanager
def _heartbeat(store: JobStore, token: str, clock: Clock) -> Iterator[None]:
    """Beat every HEARTBEAT_EVERY from a thread of its own while the step runs: a long batch
    reports no progress, but a silent job is then a dead one (the page says so within a
    minute)."""
    done = threading.Event()

    def beat() -> None:
        while True:
            try:
                store.beat(token, clock())
            except JobNotFound:  # the job was pruned: nothing to keep alive
                return
            except Exception:  # a missed beat is no reason to stop the work; the next may pass
                log.warning("ledger job %s: heartbeat not written", token, exc_info=True)
            if done.wait(HEARTBEAT_EVERY.total_seconds()):
                return

    thread = threading.Thread(target=beat, daemon=True, name=f"beat-{token[:8]}")
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _reporter(store: JobStore, token: str, clock: Clock) -> Callable[[int], None]:
    def progress(rows_done: int) -> None:
        store.update(token, clock(), rows_done=rows_done)

    return progress


def _fail(store: JobStore, token: str, clock: Clock, message: str) -> None:
    job = store.update(token, clock(), phase=FAILED, message=message)
    store.discard_files(job)  # nothing more will be done with the upload or a partial report


def _estimate(store: JobStore, token: str) -> int:
    job = store.load(token)
    try:
        return max(estimate_rows(store.source(job)) - job.header_row, 1)
    except Exception:  # only a progress-bar hint: a broken file is reported by the real read
        return 0


def run_validation(
    factory: SessionFactory, store: JobStore, token: str, now: datetime, clock: Clock
) -> None:
    """Validate the job's file (no database writes) and record the counts."""
    job = store.load(token)
    store.update(token, clock(), rows_estimate=_estimate(store, token), rows_done=0)
    try:
        with _heartbeat(store, token, clock), factory() as session:
            outcome = validate_file(
                session,
                store.source(job),
                job.kind,
                preset_for(job.kind, job.mapping),
                now,
                store.report_lines(job),
                _reporter(store, token, clock),
            )
    except (HeaderNotFound, UnreadableFile, ValueError) as exc:
        _fail(store, token, clock, f"无法读取文件：{exc}")
        return
    except Exception:
        log.exception("ledger validation failed (job %s)", token)
        _fail(store, token, clock, "校验时发生系统错误，未导入任何数据")
        return
    store.keep_file(job, store.report_lines(job))  # for the page on whichever server
    message = "" if outcome.rows_total else "表头以下没有任何数据行"
    store.update(
        token,
        clock(),
        phase=VALIDATED,
        rows_total=outcome.rows_total,
        rows_invalid=outcome.rows_invalid,
        errors=outcome.errors,
        notices=outcome.notices,
        header_row=outcome.header_row,
        rows_done=outcome.rows_total,
        message=message,
    )


def run_import(
    factory: SessionFactory,
    store: JobStore,
    token: str,
    actor: Actor,
    now: datetime,
    clock: Clock,
    *,
    skip_invalid: bool,
) -> None:
    """Import the job's file in one transaction (only the valid rows when `skip_invalid`)."""
    job = store.load(token)
    store.update(token, clock(), rows_estimate=max(job.rows_total, 1), rows_done=0)
    try:
        with _heartbeat(store, token, clock), factory() as session:
            result = import_roster(
                session,
                store.source(job),
                job.kind,
                actor,
                now,
                skip_invalid=skip_invalid,
                progress=_reporter(store, token, clock),
                preset=preset_for(job.kind, job.mapping),
            )
    except Exception:
        log.exception("ledger import failed (job %s)", token)
        _fail(store, token, clock, "导入时发生系统错误，未导入任何数据")
        return
    if result.status == REJECTED:
        # Validation passed but the import refused: something changed underneath; say so.
        _fail(store, token, clock, result.summary_zh())
        return
    store.update(
        token,
        clock(),
        phase=IMPORTED,
        import_id=result.import_id,
        import_status=result.status,
        rows_done=result.rows_total,
        message=result.summary_zh(),
    )
    # The rows are in the database now; the uploaded copy is not needed (the report stays).
    store.drop_source(job)


def run_comparison_job(
    factory: SessionFactory,
    store: JobStore,
    token: str,
    registry_import_id: int,
    roster_import_ids: list[int],
    actor: Actor,
    now: datetime,
    clock: Clock,
    *,
    include_system_cases: bool,
) -> None:
    """Compare (one transaction) and record the run's id, or the reason it failed."""
    store.update(token, clock(), rows_estimate=100, rows_done=0)
    try:
        with _heartbeat(store, token, clock), factory() as session:
            run = run_comparison(
                session,
                registry_import_id,
                roster_import_ids,
                actor,
                now,
                include_system_cases=include_system_cases,
                progress=_reporter(store, token, clock),
            )
            total = sum(run.counts.values())
            run_id = run.id
    except CompareError as exc:  # the imports or the policy changed since the page checked
        store.update(token, clock(), phase=FAILED, message=f"{exc}，未保存任何比对结果")
        return
    except Exception:
        log.exception("ledger comparison failed (job %s)", token)
        store.update(token, clock(), phase=FAILED, message="比对时发生系统错误，未保存任何比对结果")
        return
    store.update(
        token,
        clock(),
        phase=COMPARED,
        run_id=run_id,
        rows_done=100,
        message=f"比对完成：共 {total} 户",
    )


# The steps a worker runs, by the task name the web queued them under.
VALIDATION_TASK = "validation"
IMPORT_TASK = "import"
COMPARISON_TASK = "comparison"


def _actor(factory: SessionFactory, user_id: int) -> Actor:
    with factory() as session:
        user = session.get(User, user_id)
        if user is None:
            raise JobNotFound(f"user {user_id}")
        return Actor.from_user(user)


def run_claimed(factory: SessionFactory, store: JobStore, claimed: Claimed, clock: Clock) -> None:
    """Run a job a worker claimed (its arguments as the web queued them: JSON values, `now`
    the moment of the request, `user_id` who started it); the job leaves the queue whatever the
    outcome — a failure is the job's state (FAILED and its message), not the worker's."""
    args, token = claimed.args, claimed.token
    now = datetime.fromisoformat(args["now"])
    try:
        if claimed.task == VALIDATION_TASK:
            run_validation(factory, store, token, now, clock)
        elif claimed.task == IMPORT_TASK:
            actor = _actor(factory, int(args["user_id"]))
            run_import(
                factory, store, token, actor, now, clock, skip_invalid=bool(args["skip_invalid"])
            )
        elif claimed.task == COMPARISON_TASK:
            run_comparison_job(
                factory,
                store,
                token,
                int(args["registry_import_id"]),
                [int(i) for i in args["roster_import_ids"]],
                _actor(factory, int(args["user_id"])),
                now,
                clock,
                include_system_cases=bool(args["include_system_cases"]),
            )
        else:
            log.error("ledger job %s: unknown task %r", token, claimed.task)
            store.update(token, clock(), phase=FAILED, message="未知的后台任务，未做任何处理")
    finally:
        store.finish(token)
