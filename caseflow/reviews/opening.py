"""The sweep's review step: open a `review` case for every active schedule that has fallen due.

Idempotent and safe when two sweeps run at once: households with an open review are left out of
the query, and the unique partial index `uq_cases_one_open_review` makes the loser of a race fail
its insert (a ConcurrencyConflict from open_case), which is counted as skipped. Households with
an open removal case are not reviewed meanwhile. Each review opens in its own unit of work (that
of open_case); one failure is logged and never stops the rest.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import Exists

from caseflow.db.models import Case
from caseflow.engine.fire import open_case
from caseflow.kernel.actors import SYSTEM_ACTOR
from caseflow.kernel.errors import CaseflowError, ConcurrencyConflict
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.reviews.models import CLASS_LABELS, PROGRAMME_LABELS, ReviewSchedule
from caseflow.workflow.registry import Registry, registry

log = logging.getLogger(__name__)
_LOCK_RETRIES = 5


@dataclass
class ReviewOpeningReport:
    """What one pass did: case ids opened, schedules skipped (already open) or failed."""

    opened: list[int] = field(default_factory=list)
    skipped: int = 0
    failed: list[int] = field(default_factory=list)

    def summary_zh(self) -> str:
        """One line for the CLI."""
        return (
            f"开启定期复核 {len(self.opened)} 件，跳过 {self.skipped} 户，"
            f"出错 {len(self.failed)} 户"
        )


def _open_case_of(kind: str) -> Exists:
    return exists().where(
        Case.household_id == ReviewSchedule.household_id,
        Case.case_type == kind,
        Case.is_final.is_(False),
    )


def due_schedule_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Active schedules due today or earlier whose household has no open review or removal."""
    today = to_local(now).date()
    return list(
        session.scalars(
            select(ReviewSchedule.id)
            .where(
                ReviewSchedule.active.is_(True),
                ReviewSchedule.next_review_on <= today,
                ~_open_case_of("review"),
                ~_open_case_of("removal"),
            )
            .order_by(ReviewSchedule.next_review_on, ReviewSchedule.id)
            .limit(limit)
        )
    )


def open_due_reviews(
    factory: sessionmaker[Session],
    now: datetime,
    *,
    limit: int = 10_000,
    reg: Registry | None = None,
) -> ReviewOpeningReport:
    """Open every due review as a case (system actor, deadlines from the rule set)."""
    require_aware(now, "now")
    reg = reg or registry()
    report = ReviewOpeningReport()
    with factory() as session:
        # The reads' transaction ends when open_case's unit of work begins.
        ids = due_schedule_ids(session, now, limit)
        for schedule_id in ids:
            try:
                _open_one(session, schedule_id, now, reg, report)
            except Exception:  # open_case's unit has rolled back; the next one starts afresh
                report.failed.append(schedule_id)
                log.exception("review sweep: schedule %s failed; skipped", schedule_id)
    return report


def _open_one(
    session: Session,
    schedule_id: int,
    now: datetime,
    reg: Registry,
    report: ReviewOpeningReport,
) -> None:
    row = session.get(ReviewSchedule, schedule_id, populate_existing=True)
    if row is None or not row.active or row.next_review_on > to_local(now).date():
        report.skipped += 1
        return
    household_id, programme = row.household_id, row.programme
    due = row.next_review_on
    summary = (
        f"{PROGRAMME_LABELS[programme]}定期复核（{CLASS_LABELS.get(row.review_class, '')}，"
        f"应复核日期 {due.isoformat()}）"
    )
    payload = {"programme": programme, "schedule_id": schedule_id, "due_on": due.isoformat()}
    for attempt in range(_LOCK_RETRIES):
        try:
            case = open_case(
                session,
                "review",
                household_id,
                SYSTEM_ACTOR,
                now,
                summary=summary,
                payload=payload,
                reg=reg,
            )
        except ConcurrencyConflict as exc:
            if _locked(exc) and attempt < _LOCK_RETRIES - 1:
                # SQLite refuses (without waiting) a reader's upgrade to writer while another
                # sweep writes; once that sweep commits, the unique index decides who opened it.
                time.sleep(0.05 * (attempt + 1))
                continue
            report.skipped += 1  # another sweep (or a person) opened this review first
            return
        except CaseflowError as exc:
            log.warning("review sweep: schedule %s not opened: %s", schedule_id, exc)
            report.failed.append(schedule_id)
            return
        report.opened.append(case.id)
        return


def _locked(exc: BaseException | None) -> bool:
    """The database was locked by another writer (not a decided race): worth another try. The
    lock error is the conflict's cause, or further down its chain when open_case retried."""
    while exc is not None:
        if isinstance(exc, OperationalError):
            return "locked" in str(exc).lower()
        exc = exc.__cause__ or exc.__context__
    return False
