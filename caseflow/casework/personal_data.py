"""Full ID numbers and bank accounts: shown only to roles that need them, every view logged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, Member, PersonalDataView
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import CASEWORK_ROLES, PERSONAL_DATA_ROLES

FIELDS = {"id_number": "身份证号", "bank_account": "银行账号"}


def may_view_full(actor: Actor) -> bool:
    """True when one of the actor's roles needs full personal data for its work."""
    return bool(actor.roles & {r.value for r in PERSONAL_DATA_ROLES})


def may_see_names(actor: Actor) -> bool:
    """True when the actor works on cases: applicants' names are part of that work (the admin,
    who manages accounts only, reads none)."""
    return bool(actor.roles & CASEWORK_ROLES)


def reveal(
    session: Session,
    actor: Actor,
    *,
    field: str,
    household_id: int,
    now: datetime,
    member_id: int | None = None,
    case_id: int | None = None,
    purpose: str = "",
) -> str:
    """Return the full value and write the PersonalDataView row (committed) — or raise."""
    if field not in FIELDS:
        raise PayloadInvalid({"field": "未知的字段"})
    if not may_view_full(actor):
        raise PermissionDenied("您的角色不能查看完整的个人信息")
    with UnitOfWork(session) as uow:
        in_scope = in_jurisdiction(Household.org_path, actor)
        if case_id is not None:
            found = session.scalar(
                select(Case.id).where(
                    Case.id == case_id,
                    Case.household_id == household_id,
                    in_jurisdiction(Case.org_path, actor),
                )
            )
            if found is None:
                raise CaseNotFound()
        if field == "id_number":
            value = session.scalar(
                select(Member.id_number)
                .join(Household)
                .where(Member.id == member_id, Member.household_id == household_id, in_scope)
            )
        else:
            value = session.scalar(
                select(Household.bank_account).where(Household.id == household_id, in_scope)
            )
        if value is None:
            raise CaseNotFound("记录不存在或不在您的管辖范围内")
        assert actor.user_id is not None  # the system actor never looks at personal data
        session.add(
            PersonalDataView(
                user_id=actor.user_id,
                household_id=household_id,
                member_id=member_id if field == "id_number" else None,
                case_id=case_id,
                field=field,
                purpose=purpose.strip()[:100],
                at=now,
            )
        )
        uow.commit()
    return value
