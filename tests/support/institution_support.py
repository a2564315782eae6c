"""Helpers of the institutional-care tests: an institution entered by the district, and 特困
persons in payment walked there through fire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from payments_support import approve, at
from sqlalchemy import select
from support import World

from caseflow.db.models import Case, Member
from caseflow.engine.fire import fire
from caseflow.institutions.admission import propose_admission
from caseflow.institutions.models import Institution
from caseflow.institutions.records import save_institution
from caseflow.kernel.contact import district_banks

INSTITUTION_ACCOUNT = "6228480099990001"


def institution_form(world: World, **overrides: Any) -> dict[str, str]:
    """A valid typed form for an institution of the world's township."""
    form = {
        "name": "滨河镇敬老院",
        "kind": "敬老院",
        "township": world.township.code,
        "licensed_beds": "2",
        "capacity_self_care": "2",
        "capacity_partial": "2",
        "capacity_full": "1",
        "phone": "0955-7012345",
        "account_name": "滨河镇敬老院",
        "bank_name": district_banks()[0],
        "bank_account": INSTITUTION_ACCOUNT,
    }
    form.update({k: str(v) for k, v in overrides.items()})
    return form


def make_institution(world: World, **overrides: Any) -> Institution:
    """An institution saved by the district's admin."""
    return save_institution(
        world.session, world.actor("admin"), institution_form(world, **overrides), at(2026, 3, 1)
    )


def tekun_person(world: World, when: datetime | None = None) -> tuple[Case, Member]:
    """An approved 特困 case (approved at `when`) and the person it covers."""
    case = approve(world, when or at(2026, 3, 20), key="tekun")
    head = world.session.scalars(
        select(Member).where(Member.household_id == case.household_id).order_by(Member.id)
    ).first()
    assert head is not None
    return case, head


def confirm_bed(world: World, case_id: int, bed_no: int, when: datetime) -> None:
    """The township records the institution's confirmation of bed `bed_no`."""
    payload = {"bed_no": bed_no, "confirmed_by": "李院长"}
    fire(world.session, case_id, "confirm_bed", world.actor("reviewer"), when, payload)


def discharge(world: World, case_id: int, when: datetime) -> None:
    """出院: proposed by the township, approved by the district."""
    reason = {"reason": "本人申请回家分散供养"}
    fire(world.session, case_id, "propose_discharge", world.actor("reviewer"), when, reason)
    fire(world.session, case_id, "approve_discharge", world.actor("approver"), when)


def second_in_line(world: World) -> tuple[Institution, Case]:
    """A two-bed institution whose bed 1 is taken, and a second person proposed for it."""
    inst = make_institution(world)
    _, first = tekun_person(world)
    _, second = tekun_person(world)
    admit(world, first, inst, 1, at(2026, 4, 1))
    actor = world.actor("reviewer")
    case = propose_admission(world.session, actor, second.id, inst.id, "chosen", at(2026, 4, 2))
    return inst, case


def admit(world: World, member: Member, inst: Institution, bed_no: int, when: datetime) -> Case:
    """Proposed by the township, bed confirmed, approved by the district: the 入院 case."""
    s = world.session
    case = propose_admission(s, world.actor("reviewer"), member.id, inst.id, "chosen", when)
    confirm_bed(world, case.id, bed_no, when)
    fire(s, case.id, "approve_admission", world.actor("approver"), when)
    s.refresh(case)
    return case
