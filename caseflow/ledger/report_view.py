"""Who sees the validation report how: ID numbers quoted in its findings are masked, as in every
list and printout; a role that needs full ID numbers for its work may ask for them, and that full
view is logged like every other (a personal-data-view row and an admin-log entry)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from caseflow.casework.personal_data import may_view_full
from caseflow.db.models import PersonalDataView
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PermissionDenied
from caseflow.kernel.idnumber import mask_ids
from caseflow.ledger.validate import ReportEntry

PURPOSE = "台账校验报告（完整身份证号）"


def masked(entries: Iterable[ReportEntry]) -> Iterator[ReportEntry]:
    """The findings with every quoted ID number masked."""
    for entry in entries:
        yield replace(entry, message=mask_ids(entry.message))


def full_report_allowed(actor: Actor | None) -> bool:
    """True when the actor's role may see the report's ID numbers in full."""
    return actor is not None and actor.user_id is not None and may_view_full(actor)


def log_full_report(session: Session, actor: Actor | None, source: str, now: datetime) -> None:
    """Record (committed) that `actor` took the report of `source` with full ID numbers;
    PermissionDenied for roles that may not."""
    if actor is None or actor.user_id is None or not full_report_allowed(actor):
        raise PermissionDenied("您的角色不能查看含完整身份证号的校验报告")
    with UnitOfWork(session) as uow:
        session.add(
            PersonalDataView(
                user_id=actor.user_id,
                field="id_number",
                purpose=f"{PURPOSE}：{source}"[:100],
                at=now,
            )
        )
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="ledger.report_full_view",
            subject=source[:100],
            payload={"file_name": source},
            at=now,
        )
        uow.commit()
