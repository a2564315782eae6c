"""Institution accounts (供养机构工作人员): created by the admin and bound to one institution
(refused in Chinese when role and institution disagree), confirming beds of admissions to their
own institution only, their queue in SQL (counted live, equal to the rows), the township as the
fallback only for institutions without an account."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from institution_support import confirm_bed, make_institution, tekun_person
from payments_support import at
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from support import World

from caseflow.accounts.api_tokens import TokenRejected, authenticate, create_token
from caseflow.accounts.staff import UserForm, create_user, update_user
from caseflow.accounts.users import new_user
from caseflow.db.models import Case, CaseEvent, Household, User
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import fire
from caseflow.institutions.admission import AdmissionNotFound, confirm_bed_at_institution
from caseflow.institutions.admission import propose_admission as propose
from caseflow.institutions.models import BedOccupancy, Institution
from caseflow.institutions.records import InstitutionNotFound, institution_in_reach
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, GuardFailed, PayloadInvalid, PermissionDenied
from caseflow.read.occupancy import occupancy
from caseflow.read.queue import QueueFilters, queue_counts, queue_page

PASSWORD = "Jingloyuan-2026!"


def _staff(world: World, inst: Institution, username: str = "jly_staff") -> User:
    form = UserForm(
        username=username,
        display_name="敬老院职工",
        roles=("institution_staff",),
        password=PASSWORD,
        institution_id=str(inst.id),
    )
    return create_user(world.session, world.actor("admin"), form, at(2026, 3, 2))


def _proposed(world: World, inst: Institution, when: datetime) -> Case:
    _, person = tekun_person(world, at(2026, 3, 20))
    return propose(world.session, world.actor("reviewer"), person.id, inst.id, "chosen", when)


def _written(s: Session) -> tuple[int, int]:
    s.rollback()
    return (
        s.scalar(select(func.count()).select_from(BedOccupancy)) or 0,
        s.scalar(select(func.count()).select_from(CaseEvent)) or 0,
    )


def test_admin_binds_staff_to_one_institution_and_refuses_what_disagrees(world: World) -> None:
    s, admin = world.session, world.actor("admin")
    inst = make_institution(world)
    users_before = s.scalar(select(func.count()).select_from(User))
    bad = [
        # the role without an institution
        (
            UserForm("jly_a", "甲", roles=("institution_staff",), password=PASSWORD),
            "institution_id",
        ),
        # an institution for another role
        (
            UserForm(
                "jly_b",
                "乙",
                str(world.township.id),
                ("township_reviewer",),
                PASSWORD,
                institution_id=str(inst.id),
            ),
            "institution_id",
        ),
        # the institution's role with another one
        (
            UserForm(
                "jly_c",
                "丙",
                roles=("institution_staff", "township_reviewer"),
                password=PASSWORD,
                institution_id=str(inst.id),
            ),
            "roles",
        ),
        # a unit other than the institution's township
        (
            UserForm(
                "jly_d",
                "丁",
                str(world.other_township.id),
                ("institution_staff",),
                PASSWORD,
                institution_id=str(inst.id),
            ),
            "org_unit_id",
        ),
    ]
    for form, field in bad:
        with pytest.raises(PayloadInvalid) as refused:
            create_user(s, admin, form, at(2026, 3, 2))
        assert field in refused.value.fields, form
        assert all("\u4e00" <= ch <= "\u9fff" for ch in refused.value.fields[field][:2])
    s.rollback()
    assert s.scalar(select(func.count()).select_from(User)) == users_before  # nothing written
    user = _staff(world, inst)
    assert (user.institution_id, user.org_unit_id) == (inst.id, world.township.id)
    actor = Actor.from_user(user)
    assert actor.roles == {"institution_staff"} and actor.institution_id == inst.id
    assert actor.org_path.startswith(world.township.path) and actor.org_path != world.township.path
    # Changing the account to another role unbinds it only when the institution goes too.
    with pytest.raises(PayloadInvalid) as refused:
        update_user(
            s,
            admin,
            user.id,
            UserForm(
                display_name="敬老院职工",
                org_unit_id=str(world.township.id),
                roles=("township_reviewer",),
                institution_id=str(inst.id),
            ),
            at(2026, 3, 3),
        )
    assert "institution_id" in refused.value.fields


def test_a_row_edited_by_hand_never_widens_reach(world: World) -> None:
    s = world.session
    inst = make_institution(world)
    # The institution's role without an institution: no role at all.
    loose = new_user("loose", "散", world.township, ["institution_staff"], at(2026, 3, 2))
    # A bound account that also says township_reviewer: the reviewer's role is dropped.
    both = new_user("both", "双", world.township, ["institution_staff", "township_reviewer"], T)
    both.institution_id = inst.id
    s.add_all([loose, both])
    s.commit()
    assert Actor.from_user(loose).roles == frozenset()
    assert Actor.from_user(both).roles == {"institution_staff"}


T = at(2026, 3, 2)


def test_staff_of_a_cannot_confirm_at_b_and_can_at_a(world: World) -> None:
    s = world.session
    a = make_institution(world, name="甲敬老院", account_name="甲敬老院")
    b = make_institution(world, name="乙敬老院", account_name="乙敬老院")
    staff_a = Actor.from_user(_staff(world, a))
    at_b = _proposed(world, b, at(2026, 4, 1))
    at_a = _proposed(world, a, at(2026, 4, 1))
    bed = {"bed_no": "1", "confirmed_by": "甲院职工"}
    before = _written(s)
    with pytest.raises(AdmissionNotFound):
        confirm_bed_at_institution(s, staff_a, at_b.id, bed, at(2026, 4, 2))
    assert _written(s) == before
    # Even with their path widened to the case's place, the workflow's guard refuses.
    with pytest.raises(GuardFailed, match="只能确认本机构的入院床位"):
        fire(s, at_b.id, "confirm_bed", replace(staff_a, org_path=at_b.org_path), T, bed)
    assert _written(s) == before
    assert s.get(Case, at_b.id).state == "proposed"  # type: ignore[union-attr]
    # And fire() with their own path finds no case at all.
    with pytest.raises(CaseNotFound):
        fire(s, at_a.id, "confirm_bed", staff_a, at(2026, 4, 2), bed)
    # Their own institution's admission: the bed is theirs to confirm.
    result = confirm_bed_at_institution(s, staff_a, at_a.id, bed, at(2026, 4, 2))
    assert (result.from_state, result.to_state) == ("awaiting_institution", "district_review")
    s.rollback()
    event = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == at_a.id).order_by(CaseEvent.seq.desc())
    ).first()
    assert event is not None
    assert (event.trigger, event.actor_role) == ("confirm_bed", "institution_staff")
    live = s.scalars(select(BedOccupancy).where(BedOccupancy.admission_case_id == at_a.id)).one()
    assert (live.institution_id, live.bed_no) == (a.id, 1)


def test_bad_bed_number_refused_in_chinese_nothing_written(world: World) -> None:
    s = world.session
    inst = make_institution(world)
    staff = Actor.from_user(_staff(world, inst))
    case = _proposed(world, inst, at(2026, 4, 1))
    before = _written(s)
    with pytest.raises(PayloadInvalid):
        confirm_bed_at_institution(s, staff, case.id, {"bed_no": "一", "confirmed_by": "x"}, T)
    with pytest.raises(GuardFailed, match="床位号须在 1–2 之间"):
        confirm_bed_at_institution(s, staff, case.id, {"bed_no": "9", "confirmed_by": "x"}, T)
    assert _written(s) == before


def test_waiting_admissions_follow_the_institutions_accounts(world: World) -> None:
    """Proposed before the institution had an account, the case moves to its staff's queue
    when the admin opens one, and back to the township when the admin stops it; the township
    records the bed only while no account is active (guard and roles alike)."""
    s = world.session
    inst = make_institution(world)
    case = _proposed(world, inst, at(2026, 4, 1))
    assert case.state == "proposed"
    user = _staff(world, inst)
    s.rollback()
    assert s.get(Case, case.id).state == "awaiting_institution"  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied):
        confirm_bed(world, case.id, 1, at(2026, 4, 2))
    s.rollback()
    stop = UserForm(
        display_name="敬老院职工",
        org_unit_id=str(world.township.id),
        roles=("institution_staff",),
        active=False,
        institution_id=str(inst.id),
    )
    update_user(s, world.actor("admin"), user.id, stop, at(2026, 4, 2))
    s.rollback()
    assert s.get(Case, case.id).state == "proposed"  # type: ignore[union-attr]
    events = s.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert events[-2:] == ["await_institution", "back_to_township"]
    confirm_bed(world, case.id, 1, at(2026, 4, 2))
    s.rollback()
    assert s.get(Case, case.id).state == "district_review"  # type: ignore[union-attr]
    # A new proposal while the institution has no active account waits for the township.
    again = _proposed(world, inst, at(2026, 4, 3))
    assert again.state == "proposed"
    confirm_bed(world, again.id, 2, at(2026, 4, 3))


def test_queue_shows_their_admissions_waiting_for_a_bed_and_counts_them(world: World) -> None:
    s = world.session
    a = make_institution(world, name="甲敬老院", account_name="甲敬老院", licensed_beds=3)
    b = make_institution(world, name="乙敬老院", account_name="乙敬老院")
    staff = Actor.from_user(_staff(world, a))
    mine = [_proposed(world, a, at(2026, 4, 1)), _proposed(world, a, at(2026, 4, 1))]
    other = _proposed(world, b, at(2026, 4, 1))
    now = at(2026, 4, 3)
    for filters in (QueueFilters(), QueueFilters(township=world.township.code)):
        page = queue_page(s, staff, now, filters)
        ids = {r.id for r in page.rows}
        assert ids == {c.id for c in mine}, filters
        assert page.total == page.counts.all == len(page.rows) == 2
        assert queue_counts(s, staff, now, filters) == queue_counts(
            s, staff, now, filters, live=True
        )
    # A bed confirmed: it leaves their queue (the district's now).
    confirm_bed_at_institution(s, staff, mine[0].id, {"bed_no": "1", "confirmed_by": "x"}, now)
    page = queue_page(s, staff, now)
    assert [r.id for r in page.rows] == [mine[1].id] and page.counts.all == 1
    # The township's reviewer sees the other institution's admission (no account: the township
    # records its bed), never those waiting on the institution's own staff or on the district.
    reviewer = world.actor("reviewer")
    page = queue_page(s, reviewer, now)
    reviewer_ids = {r.id for r in page.rows}
    assert other.id in reviewer_ids and not reviewer_ids & {c.id for c in mine}
    assert page.total == len(page.rows) == page.counts.all
    assert queue_counts(s, reviewer, now) == queue_counts(s, reviewer, now, live=True)


def test_a_proposal_or_a_return_waits_on_whoever_confirms_the_bed(world: World) -> None:
    """At an institution with its own account the case waits in that account's queue
    (awaiting_institution), as proposed and as returned by the district; without one, with the
    township (proposed). Each return frees the bed."""
    s = world.session
    a = make_institution(world, name="甲敬老院", account_name="甲敬老院")
    b = make_institution(world, name="乙敬老院", account_name="乙敬老院")
    staff = Actor.from_user(_staff(world, a))
    at_a, at_b = _proposed(world, a, at(2026, 4, 1)), _proposed(world, b, at(2026, 4, 1))
    assert (at_a.state, at_b.state) == ("awaiting_institution", "proposed")
    with pytest.raises(PermissionDenied):  # the township has no bed to record at 甲
        fire(s, at_a.id, "confirm_bed", world.actor("reviewer"), at(2026, 4, 2), {"bed_no": 1})
    s.rollback()
    bed = {"bed_no": "1", "confirmed_by": "甲院职工"}
    confirm_bed_at_institution(s, staff, at_a.id, bed, at(2026, 4, 2))
    confirm_bed(world, at_b.id, 1, at(2026, 4, 2))
    approver = world.actor("approver")
    for case, wrong, right, back in (
        (at_a, "return_to_township", "return_to_institution", "awaiting_institution"),
        (at_b, "return_to_institution", "return_to_township", "proposed"),
    ):
        with pytest.raises(GuardFailed):
            fire(s, case.id, wrong, approver, at(2026, 4, 3), {"reason": "床位有误"})
        s.rollback()
        fire(s, case.id, right, approver, at(2026, 4, 3), {"reason": "床位有误"})
        s.rollback()
        assert s.get(Case, case.id).state == back  # type: ignore[union-attr]
        live = select(func.count()).where(
            BedOccupancy.admission_case_id == case.id, BedOccupancy.ended_at.is_(None)
        )
        assert s.scalar(live) == 0


def test_staff_read_their_institution_only_and_no_household(world: World) -> None:
    s = world.session
    a = make_institution(world, name="甲敬老院", account_name="甲敬老院")
    b = make_institution(world, name="乙敬老院", account_name="乙敬老院")
    staff = Actor.from_user(_staff(world, a))
    _proposed(world, a, at(2026, 4, 1))
    assert occupancy(s, staff, a.id).institution is not None
    assert len(occupancy(s, staff, a.id).pending) == 1
    with pytest.raises(InstitutionNotFound):
        institution_in_reach(s, staff, b.id)
    assert s.scalar(select(func.count()).select_from(Household)) > 0
    households = s.scalar(
        select(func.count())
        .select_from(Household)
        .where(in_jurisdiction(Household.org_path, staff))
    )
    assert households == 0


def test_institution_staff_get_no_api_token(world: World) -> None:
    s = world.session
    inst = make_institution(world)
    user = _staff(world, inst)
    with pytest.raises(PayloadInvalid, match="不能使用接口令牌"):
        create_token(
            s,
            user_id=user.id,
            org_code=world.township.code,
            name="对接",
            days=30,
            now=T,
            created_by_id=None,
        )
    # A token issued before the binding is refused when used.
    clerk = world.users["clerk"]
    issued = create_token(
        s,
        user_id=clerk.id,
        org_code=world.township.code,
        name="对接",
        days=30,
        now=T,
        created_by_id=None,
    )
    s.rollback()
    clerk = s.get(User, clerk.id)  # type: ignore[assignment]
    clerk.institution_id = inst.id
    s.commit()
    with pytest.raises(TokenRejected):
        authenticate(s, issued.secret, T)


def test_staff_follow_their_institution_to_another_township(world: World) -> None:
    from institution_support import institution_form

    from caseflow.institutions.records import save_institution

    s = world.session
    inst = make_institution(world)
    user = _staff(world, inst)
    moved = institution_form(world, township=world.other_township.code)
    save_institution(s, world.actor("admin"), moved, at(2026, 3, 5), inst.id)
    s.rollback()
    assert s.get(User, user.id).org_unit_id == world.other_township.id  # type: ignore[union-attr]
