"""Institutions as records: created and edited by the district (admin or district approver),
field by field in Chinese; every change goes to the admin log. Township staff read the ones
of their township (jurisdiction in SQL)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit, User
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.institutions.beds import highest_live_bed
from caseflow.institutions.models import CARE_LEVEL_ZH, CARE_LEVELS, KINDS, Institution
from caseflow.kernel.actors import Actor
from caseflow.kernel.contact import InvalidContact, check_bank, normalise_phone
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role

EDITOR_ROLES = frozenset({Role.ADMIN, Role.DISTRICT_APPROVER})
MAX_BEDS = 5000
FIELDS = (
    "name",
    "kind",
    "township",
    "licensed_beds",
    *(f"capacity_{level}" for level in CARE_LEVELS),
    "phone",
    "account_name",
    "bank_name",
    "bank_account",
    "active",
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


class InstitutionNotFound(CaseNotFound):
    message_zh = "供养机构不存在或不在您的管辖范围内"


def may_edit(actor: Actor) -> bool:
    """The district keeps the institutions' records."""
    return bool(EDITOR_ROLES & actor.roles) and actor.org_path.count("/") <= 2


def institution_reach(actor: Actor) -> ColumnElement[bool]:
    """The institutions an actor reads, as SQL: an institution's staff their own one only
    (their org path lies below it and reaches no other), everyone else those of their
    subtree."""
    if actor.institution_id is not None:
        return Institution.id == actor.institution_id
    return in_jurisdiction(Institution.org_path, actor)


def institutions_in_reach(
    session: Session, actor: Actor, *, active_only: bool = False
) -> list[Any]:
    """(institution, township name) inside the actor's subtree, by township and name."""
    stmt = (
        select(Institution, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == Institution.org_unit_id)
        .where(institution_reach(actor))
        .order_by(OrgUnit.code, Institution.name)
    )
    if active_only:
        stmt = stmt.where(Institution.active.is_(True))
    return list(session.execute(stmt).all())


def institution_in_reach(session: Session, actor: Actor, institution_id: int) -> Institution:
    """One institution inside the actor's subtree, else InstitutionNotFound."""
    if not 0 < institution_id < 2**31:
        raise InstitutionNotFound()
    found = session.scalar(
        select(Institution).where(Institution.id == institution_id, institution_reach(actor))
    )
    if found is None:
        raise InstitutionNotFound()
    return found


def _count(typed: Mapping[str, str], key: str, label: str, errors: dict[str, str]) -> int:
    text = str(typed.get(key, "")).translate(_FULLWIDTH).strip()
    if not text.isdigit() or not 0 <= int(text) <= MAX_BEDS:
        errors[key] = f"{label}应为 0–{MAX_BEDS} 之间的整数"
        return 0
    return int(text)


def _township(session: Session, actor: Actor, code: str, errors: dict[str, str]) -> OrgUnit | None:
    unit = session.scalar(
        select(OrgUnit).where(
            OrgUnit.code == code.strip()[:20],
            OrgUnit.level == "township",
            in_jurisdiction(OrgUnit.path, actor),
        )
    )
    if unit is None:
        errors["township"] = "请选择机构所在乡镇"
    return unit


def _contact(check: Any, typed: str, key: str, errors: dict[str, str]) -> str:
    try:
        return str(check(typed))
    except InvalidContact as exc:
        errors[key] = exc.message_zh
        return ""


def validate(session: Session, actor: Actor, typed: Mapping[str, str]) -> dict[str, Any]:
    """The stored values of a typed form, or PayloadInvalid naming every bad field."""
    errors: dict[str, str] = {}
    name = str(typed.get("name", "")).strip()
    if not name or len(name) > 100:
        errors["name"] = "请填写机构名称（不超过 100 个字）"
    kind = str(typed.get("kind", "")).strip()
    if kind not in KINDS:
        errors["kind"] = f"机构类型须为{'或'.join(KINDS)}"
    unit = _township(session, actor, str(typed.get("township", "")), errors)
    beds = _count(typed, "licensed_beds", "核定床位数", errors)
    values: dict[str, Any] = {"name": name, "kind": kind, "licensed_beds": beds}
    for level in CARE_LEVELS:
        key = f"capacity_{level}"
        label = f"{CARE_LEVEL_ZH[level]}护理能力（人）"
        values[key] = _count(typed, key, label, errors)
        if key not in errors and "licensed_beds" not in errors and values[key] > beds:
            errors[key] = f"{label}不能超过核定床位数 {beds}"
    values["phone"] = _contact(normalise_phone, str(typed.get("phone", "")), "phone", errors)
    if not values["phone"] and "phone" not in errors:
        errors["phone"] = "请填写机构联系电话"
    account = "".join(str(typed.get("bank_account", "")).translate(_FULLWIDTH).split())
    if not (account.isdigit() and 8 <= len(account) <= 30):
        errors["bank_account"] = "请填写机构的银行账号（8–30 位数字），供养金将发放到该账户"
    values["bank_account"] = account
    values["bank_name"] = _contact(check_bank, str(typed.get("bank_name", "")), "bank_name", errors)
    if not values["bank_name"] and "bank_name" not in errors:
        errors["bank_name"] = "请选择开户银行"
    account_name = str(typed.get("account_name", "")).strip()
    if not account_name or len(account_name) > 100:
        errors["account_name"] = "请填写账户名称（不超过 100 个字）"
    values["account_name"] = account_name
    values["active"] = str(typed.get("active", "1")) in ("1", "on", "true", "y")
    if errors or unit is None:
        raise PayloadInvalid(errors)
    values["org_unit_id"], values["org_path"] = unit.id, unit.path
    return values


def _duplicate_name(session: Session, values: dict[str, Any], own_id: int | None) -> bool:
    other = session.scalar(
        select(Institution.id).where(
            Institution.org_unit_id == values["org_unit_id"], Institution.name == values["name"]
        )
    )
    return other is not None and other != own_id


def save_institution(
    session: Session,
    actor: Actor,
    typed: Mapping[str, str],
    now: datetime,
    institution_id: int | None = None,
) -> Institution:
    """Create (no id) or edit an institution; all or nothing, logged in the admin log."""
    if not may_edit(actor):
        raise PermissionDenied("只有区民政局可以新建或修改供养机构")
    with UnitOfWork(session) as uow:
        values = validate(session, actor, typed)
        if _duplicate_name(session, values, institution_id):
            raise PayloadInvalid({"name": "本乡镇已有同名的供养机构"})
        if institution_id is None:
            inst = Institution(created_at=now, updated_at=now, **values)
            session.add(inst)
            before: dict[str, Any] = {}
        else:
            inst = institution_in_reach(session, actor, institution_id)
            before = {k: getattr(inst, k) for k in values}
            _check_not_below_occupancy(session, inst, values)
            for key, value in values.items():
                setattr(inst, key, value)
            inst.updated_at = now
            # The institution's staff belong to its township (caseflow.accounts.staff).
            session.execute(
                update(User)
                .where(User.institution_id == inst.id)
                .values(org_unit_id=values["org_unit_id"])
            )
        session.flush()
        after = {k: v for k, v in values.items() if before.get(k) != v}
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="institution_created" if not before else "institution_changed",
            subject=f"{inst.id} {inst.name}",
            payload={"before": {k: before[k] for k in after if k in before}, "after": after},
            at=now,
        )
        uow.commit()
    return inst


def _check_not_below_occupancy(session: Session, inst: Institution, values: dict[str, Any]) -> None:
    """Fewer licensed beds than beds taken (or a bed number beyond the new count) is refused."""
    highest = highest_live_bed(session, inst.id)
    if values["licensed_beds"] < highest:
        raise PayloadInvalid(
            {"licensed_beds": f"第 {highest} 号床位有人入住或已预留，核定床位数不能少于 {highest}"}
        )


def typed_record(session: Session, actor: Actor, institution_id: int) -> dict[str, str]:
    """An institution in reach as its edit form shows it."""
    inst = institution_in_reach(session, actor, institution_id)
    township = session.get(OrgUnit, inst.org_unit_id)
    typed = {k: str(getattr(inst, k)) for k in FIELDS if k not in ("township", "active")}
    typed["township"] = township.code if township else ""
    typed["active"] = "1" if inst.active else "0"
    return typed
