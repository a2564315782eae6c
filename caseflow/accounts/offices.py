"""The offices' contact telephones (district bureau and township service centres), entered by an
admin and printed on every notice the office issues; each change goes to the admin log."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.contact import InvalidContact, normalise_phone
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role

OFFICE_LEVELS = ("district", "township")


def phone_field(unit_id: int) -> str:
    """The form field (and error key) of one office's telephone."""
    return f"phone-{unit_id}"


def offices_in_reach(session: Session, actor: Actor) -> list[OrgUnit]:
    """The district and township units inside the actor's subtree, in tree order."""
    return list(
        session.scalars(
            select(OrgUnit)
            .where(OrgUnit.level.in_(OFFICE_LEVELS), in_jurisdiction(OrgUnit.path, actor))
            .order_by(OrgUnit.path)
        )
    )


def set_office_phones(
    session: Session, actor: Actor, typed: Mapping[str, str], now: datetime
) -> list[OrgUnit]:
    """Store the telephones typed for the offices in reach (field `phone-<id>`; an empty one
    clears it). All or nothing: any bad number raises PayloadInvalid naming its field. Returns
    the offices whose number changed."""
    if Role.ADMIN not in actor.roles:
        raise PermissionDenied("只有系统管理员可以修改单位联系电话")
    with UnitOfWork(session) as uow:
        errors: dict[str, str] = {}
        changes: list[tuple[OrgUnit, str | None]] = []
        for office in offices_in_reach(session, actor):
            key = phone_field(office.id)
            if key not in typed:
                continue
            try:
                phone = normalise_phone(typed[key]) or None
            except InvalidContact as exc:
                errors[key] = f"{office.name}：{exc.message_zh}"
                continue
            if phone != office.phone:
                changes.append((office, phone))
        if errors:
            raise PayloadInvalid(errors)
        for office, phone in changes:
            append_admin_event(
                session,
                actor_id=actor.user_id,
                action="office_phone_changed",
                subject=f"{office.code} {office.name}",
                payload={"before": office.phone, "after": phone},
                at=now,
            )
            office.phone = phone
        uow.commit()
    return [office for office, _ in changes]
