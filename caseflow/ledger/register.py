"""Find — or, when the system does not know it yet, register from the comparison's evidence — the
household a ledger action (referral, removal) opens its case on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import ComparisonResult, Household, Member, OrgUnit
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, PermissionDenied
from caseflow.kernel.idnumber import InvalidIdNumber, parse_id_number
from caseflow.ledger.classify import labour_level


class LedgerActionError(CaseflowError):
    """A ledger action cannot be taken; the message is Chinese."""


_CHILD = (
    "之子",
    "之女",
    "子",
    "女",
    "儿子",
    "女儿",
    "长子",
    "次子",
    "长女",
    "次女",
    "养子",
    "养女",
)


def system_relation(text: str) -> str:
    """The registry's wording of 与户主关系 → the system's relation list."""
    text = text.strip()
    if text in ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他"):
        return text
    if "媳" in text or "婿" in text or "祖" in text:
        return "其他"
    if text in _CHILD:
        return "子女"
    if "孙" in text:
        return "孙子女"
    if any(w in text for w in ("配偶", "妻", "夫")):
        return "配偶"
    if any(w in text for w in ("父", "母")):
        return "父母"
    if any(w in text for w in ("兄", "弟", "姐", "妹")):
        return "兄弟姐妹"
    return "其他"


def system_health(text: str) -> str:
    """The registry's 健康状况 → healthy | chronic | serious_illness."""
    if "大病" in text or text == "serious_illness":
        return "serious_illness"
    if "慢性" in text or text == "chronic":
        return "chronic"
    return "healthy"


def _evidence_units(result: ComparisonResult) -> list[dict[str, Any]]:
    evidence = result.evidence or {}
    return list(evidence.get("assistance", [])) + list(evidence.get("registry", []))


def find_household_id(session: Session, result: ComparisonResult) -> int | None:
    """The system household of a result: recorded on it, or found by any member's ID number."""
    if result.household_id is not None:
        return result.household_id
    for unit in _evidence_units(result):
        ids = [p["id_number"] for p in unit.get("persons", [])]
        found = session.scalar(
            select(Member.household_id)
            .where(Member.id_number.in_(ids), Member.left_on.is_(None))
            .limit(1)
        )
        if found is not None:
            return int(found)
    return None


def _org_unit(session: Session, unit: dict[str, Any]) -> OrgUnit:
    code = unit.get("township_code")
    township = session.scalar(select(OrgUnit).where(OrgUnit.code == code)) if code else None
    if township is None:
        raise LedgerActionError("无法确定该户所属乡镇，请先在窗口登记家庭")
    village = session.scalar(
        select(OrgUnit).where(
            OrgUnit.parent_id == township.id,
            OrgUnit.level == "village",
            OrgUnit.name == unit.get("village", ""),
        )
    )
    return village or township


def ensure_household(
    session: Session, result: ComparisonResult, actor: Actor, now: datetime
) -> int:
    """The household id to open a case on; registers the household from the roster if needed
    (in the caller's unit of work when there is one: the action that needs it commits both)."""
    found = find_household_id(session, result)
    if found is not None:
        return found
    units = _evidence_units(result)
    if not units:
        raise LedgerActionError("比对结果中没有家庭信息")
    unit = units[0]
    with UnitOfWork(session) as uow:
        org = _org_unit(session, unit)
        if not actor.may_see(org.path):
            raise PermissionDenied("该家庭不在您的管辖范围内")
        household = Household(
            org_unit_id=org.id,
            org_path=org.path,
            head_name=unit.get("head_name") or unit["persons"][0]["name"],
            address=f"{unit.get('township', '')}{unit.get('village', '')}",
            created_at=now,
        )
        session.add(household)
        session.flush()
        for person in unit["persons"]:
            try:
                ident = parse_id_number(person["id_number"])
            except InvalidIdNumber:
                continue
            session.add(
                Member(
                    household_id=household.id,
                    id_number=ident.value,
                    name=person["name"],
                    relation=system_relation(person.get("relation", "")),
                    sex=ident.sex,
                    birth_date=ident.birth_date,
                    labour_capacity=labour_level(person.get("labour_capacity", "")),
                    health=system_health(person.get("health", "")),
                )
            )
        result.household_id = household.id
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="ledger.household_registered",
            subject=f"household:{household.id}",
            payload={"result_id": result.id, "source": unit.get("source"), "key": unit.get("key")},
            at=now,
        )
        uow.commit()
    return household.id
