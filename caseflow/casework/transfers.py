"""迁移: a person registered in another township moves into a household of the township that
now receives them. The receiving township's window asks (ID number, relation, reason); the
district decides, because only the district sees both townships. The window learns nothing of
where the person is registered beyond what registration already says ("已在其他乡镇登记").

On approval the person leaves the old household (kept there with the day and the reason, as a
version `transfer_out`) and joins the new one as a new member row (version `transfer_in`), so
both households' histories, and every old decision naming the member, stay as they were. Both
versions go through corrections.record_change: a household in payment on either side gets its
review (the reviews plugin's listener). The district does not approve while the old household has
a case still open (an application, review or removal under way): that case is the old township's
to finish first, on the household as it was. Pure core: no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.casework.change_models import TransferRequest
from caseflow.casework.corrections import Draft, member_values, record_change
from caseflow.casework.households import HEAD, RELATIONS, household_in_scope
from caseflow.db.models import Case, Household, Member
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.idnumber import InvalidIdNumber, parse_id_number
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local

REQUEST_ROLES = frozenset({Role.CLERK})
DECIDE_ROLES = frozenset({Role.DISTRICT_APPROVER})
VIEW_ROLES = REQUEST_ROLES | DECIDE_ROLES
STATUS_LABELS = {"requested": "待区民政局审批", "done": "已迁移", "refused": "不予迁移"}
LEFT_REASON = "迁往其他乡镇"
_COPIED: tuple[str, ...] = ("name", "id_number", "sex", "birth_date", "labour_capacity", "health")
_COPIED += ("disability_grade", "disability_type", "is_student")


@dataclass(frozen=True)
class TransferAsk:
    """The receiving window's request as typed."""

    id_number: str = ""
    relation: str = ""
    note: str = ""


def _clean(text: str, limit: int = 300) -> str:
    return "".join(ch for ch in text if ch.isprintable()).strip()[:limit]


def _registered(session: Session, id_number: str) -> Member | None:
    return session.scalars(
        select(Member).where(Member.id_number == id_number, Member.left_on.is_(None)).limit(1)
    ).first()


def request_transfer(
    session: Session, actor: Actor, household_id: int, ask: TransferAsk, now: datetime
) -> TransferRequest:
    """The receiving township asks the district to move a person into one of its households."""
    if not actor.roles & REQUEST_ROLES:
        raise PermissionDenied("只有一门受理窗口可以申请迁移")
    with UnitOfWork(session) as uow:
        household = household_in_scope(session, actor, household_id)
        errors: dict[str, str] = {}
        person = None
        try:
            ident = parse_id_number(ask.id_number, today=to_local(now).date())
            person = _registered(session, ident.value)
        except InvalidIdNumber as exc:
            errors["id_number"] = str(exc)
        else:
            if person is None:
                errors["id_number"] = "该身份证号未在本区登记，请直接在本户增加成员"
            elif person.household_id == household.id:
                errors["id_number"] = "该人员已是本户成员"
            elif actor.may_see(person.household.org_path):
                errors["id_number"] = (
                    f"该人员登记在本乡镇户主为 {person.household.head_name} 的家庭："
                    "请先在原家庭办理成员减少，再增加到本户"
                )
            elif _pending(session, person.id) is not None:
                errors["id_number"] = "该人员已有待审批的迁移申请"
        if ask.relation not in RELATIONS or ask.relation == HEAD:
            errors["relation"] = "请选择与本户户主的关系（迁入人员不能直接作为户主）"
        note = _clean(ask.note)
        if not note:
            errors["note"] = "请填写迁移原因（如：婚嫁、投亲、搬迁）"
        if errors or person is None:
            raise PayloadInvalid(errors)
        row = TransferRequest(
            member_id=person.id,
            from_household_id=person.household_id,
            to_household_id=household.id,
            relation=ask.relation,
            note=note,
            status="requested",
            requested_by_id=actor.user_id,
            requested_at=now,
            decision_note="",
            org_path=household.org_path,
        )
        session.add(row)
        session.flush()
        _audit(session, actor, "transfer.request", row, now)
        uow.commit()
    return row


def _pending(session: Session, member_id: int) -> int | None:
    return session.scalar(
        select(TransferRequest.id).where(
            TransferRequest.member_id == member_id, TransferRequest.status == "requested"
        )
    )


def _audit(
    session: Session, actor: Actor, action: str, row: TransferRequest, now: datetime
) -> None:
    append_admin_event(
        session,
        actor_id=actor.user_id,
        action=action,
        subject=f"transfer:{row.id}",
        payload={
            "member_id": row.member_id,
            "from_household_id": row.from_household_id,
            "to_household_id": row.to_household_id,
            "status": row.status,
        },
        at=now,
    )


def transfer_in_scope(session: Session, actor: Actor, transfer_id: int) -> TransferRequest:
    """The request if the receiving household lies in the actor's jurisdiction (in SQL)."""
    row = session.scalars(
        select(TransferRequest).where(
            TransferRequest.id == transfer_id, in_jurisdiction(TransferRequest.org_path, actor)
        )
    ).first()
    if row is None:
        raise CaseNotFound("迁移申请不存在或不在您的管辖范围内")
    return row


def _open_cases(session: Session, household_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Case.case_no).where(Case.household_id == household_id, Case.is_final.is_(False))
        )
    )


def decide_transfer(
    session: Session,
    actor: Actor,
    transfer_id: int,
    *,
    approve: bool,
    note: str,
    now: datetime,
) -> TransferRequest:
    """The district approves (the person moves) or refuses (with a reason) a request."""
    if not actor.roles & DECIDE_ROLES:
        raise PermissionDenied("只有区民政局审批人员可以审批迁移")
    with UnitOfWork(session) as uow:
        row = transfer_in_scope(session, actor, transfer_id)
        note = _clean(note)
        if row.status != "requested":
            raise PayloadInvalid({"decision": "该申请已处理"})
        if not approve and not note:
            raise PayloadInvalid({"note": "不予迁移时请填写理由"})
        if approve:
            _move(session, actor, row, note, now)
        row.status = "done" if approve else "refused"
        row.decided_by_id = actor.user_id
        row.decided_at = now
        row.decision_note = note
        _audit(session, actor, "transfer.decide", row, now)
        uow.commit()
    return row


def _move(session: Session, actor: Actor, row: TransferRequest, note: str, now: datetime) -> None:
    person = row.member
    if person.left_on is not None or person.household_id != row.from_household_id:
        raise PayloadInvalid({"decision": "该人员已不在原家庭，申请不能执行；请不予迁移"})
    still_open = _open_cases(session, row.from_household_id)
    if still_open:
        raise PayloadInvalid(
            {"decision": f"原家庭有未办结的案件（{'、'.join(still_open)}），须由原乡镇办结后再迁移"}
        )
    old_home = session.get(Household, row.from_household_id)
    new_home = session.get(Household, row.to_household_id)
    assert old_home is not None and new_home is not None
    before = member_values(person)
    person.left_on = to_local(now).date()
    person.left_reason = LEFT_REASON
    after = member_values(person)
    heir = _next_head(old_home, person)
    if heir is not None:
        before["new_head"] = None
        after["new_head"] = {"member_id": heir.id, "name": heir.name}
        heir.relation = HEAD
        old_home.head_name = heir.name
    session.flush()
    session.expire(old_home, ["members"])
    why = note or row.note
    out = Draft("transfer_out", "transfer", why, before, after, person)
    record_change(session, old_home, out, actor, now)
    moved = Member(household_id=new_home.id, relation=row.relation)
    for key in _COPIED:
        setattr(moved, key, getattr(person, key))
    session.add(moved)
    session.flush()
    session.expire(new_home, ["members"])
    arrived = Draft("transfer_in", "transfer", row.note, {}, member_values(moved), moved)
    record_change(session, new_home, arrived, actor, now)


def _next_head(household: Household, leaving: Member) -> Member | None:
    """Who heads the old household when its head moves away: the spouse, else the eldest."""
    if leaving.relation != HEAD:
        return None
    others = [m for m in household.members if m.id != leaving.id]
    if not others:
        return None
    spouse = next((m for m in others if m.relation == "配偶"), None)
    return spouse or min(others, key=lambda m: m.birth_date)


def transfers_for(session: Session, actor: Actor, status: str = "") -> list[TransferRequest]:
    """Requests the actor may see (receiving households inside the jurisdiction), newest first."""
    stmt = select(TransferRequest).where(in_jurisdiction(TransferRequest.org_path, actor))
    if status in STATUS_LABELS:
        stmt = stmt.where(TransferRequest.status == status)
    return list(session.scalars(stmt.order_by(TransferRequest.id.desc()).limit(200)))
