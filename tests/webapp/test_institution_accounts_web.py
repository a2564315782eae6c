"""An institution's staff on the web: the admin opens the account choosing the institution, the
staff see their admissions in 待办 and confirm a bed on their institution's page, and reach
nothing else — no other institution, no case page, no household, no front desk."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from institution_support import make_institution, tekun_person
from payments_support import at
from sqlalchemy import select
from support import World
from websupport import HASH, AuthActions, Clock

from caseflow.db.models import Case, User, UserRole
from caseflow.institutions.admission import propose_admission
from caseflow.institutions.models import BedOccupancy


def test_admin_opens_an_institution_account_and_refuses_a_mismatch(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    inst = make_institution(world)
    auth.login("admin")
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert f'<option value="{inst.id}"' in form and "供养机构工作人员" in form
    data = {
        "username": "jly_staff",
        "display_name": "敬老院职工",
        "org_unit_id": "",
        "roles": ["township_reviewer"],
        "institution_id": str(inst.id),
        "password": "initial-pass-2026",
        "active": "on",
    }
    bad = client.post("/admin/users/new", data=data)
    assert bad.status_code == 400
    assert "只有「供养机构工作人员」角色的账号才能选择供养机构" in bad.get_data(as_text=True)
    world.session.rollback()
    assert world.session.scalar(select(User.id).where(User.username == "jly_staff")) is None
    ok = client.post("/admin/users/new", data={**data, "roles": ["institution_staff"]})
    assert ok.status_code == 303
    world.session.rollback()
    user = world.session.scalars(select(User).where(User.username == "jly_staff")).one()
    assert (user.institution_id, user.org_unit_id) == (inst.id, world.township.id)
    assert "滨河镇·滨河镇敬老院" in client.get("/admin/users").get_data(as_text=True)


def test_staff_confirm_a_bed_from_their_queue_and_reach_nothing_else(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    s = world.session
    inst = make_institution(world, name="甲敬老院", account_name="甲敬老院")
    other = make_institution(world, name="乙敬老院", account_name="乙敬老院")
    _, person = tekun_person(world, at(2026, 3, 20))
    reviewer = world.actor("reviewer")
    case = propose_admission(s, reviewer, person.id, inst.id, "chosen", at(2026, 4, 1))
    staff = User(
        username="jly_staff",
        display_name="敬老院职工",
        password_hash=HASH,
        org_unit_id=world.township.id,
        active=True,
        created_at=at(2026, 3, 1),
        institution_id=inst.id,
    )
    staff.roles = [UserRole(role="institution_staff")]
    s.add(staff)
    s.commit()
    app.config["NOW"] = Clock(at(2026, 4, 2))
    auth.login("jly_staff")
    home = client.get("/")
    assert home.status_code == 302 and "/queue" in home.headers["Location"]
    queue = client.get("/queue/").get_data(as_text=True)
    assert case.case_no in queue
    assert f"/institutions/{inst.id}#admission-{case.id}" in queue
    assert f'/cases/{case.id}"' not in queue and "认领" not in queue.split("queue-list")[1]
    assert "/desk/" not in queue and ">集中供养</a>" in queue  # navigation: only what they use
    page = client.get(f"/institutions/{inst.id}").get_data(as_text=True)
    assert person.name in page and "确认床位" in page and f'/cases/{case.id}"' not in page
    assert person.id_number not in page
    # Bad input: refused in Chinese beside the field, nothing written.
    bad = client.post(
        f"/institutions/{inst.id}/admissions/{case.id}/confirm-bed",
        data={"bed_no": "99", "confirmed_by": "职工", "version": str(case.version)},
    )
    assert bad.status_code == 400 and "床位号须在 1–2 之间" in bad.get_data(as_text=True)
    # Another institution's page, the case page, the household, the desk: not theirs.
    assert client.get(f"/institutions/{other.id}").status_code == 404
    assert client.post(
        f"/institutions/{other.id}/admissions/{case.id}/confirm-bed", data={"bed_no": "1"}
    ).status_code in (403, 404)
    assert client.get(f"/cases/{case.id}").status_code == 403
    assert client.get(f"/desk/households/{case.household_id}").status_code == 403
    assert client.get("/institutions/priority").status_code == 403
    assert client.get("/inbox").status_code == 403
    s.rollback()
    assert s.scalar(select(BedOccupancy.id)) is None
    good = client.post(
        f"/institutions/{inst.id}/admissions/{case.id}/confirm-bed",
        data={"bed_no": "2", "confirmed_by": "职工", "version": str(case.version)},
    )
    assert good.status_code == 303
    s.rollback()
    assert s.get(Case, case.id).state == "district_review"  # type: ignore[union-attr]
    bed = s.scalars(select(BedOccupancy)).one()
    assert (bed.institution_id, bed.bed_no, bed.member_id) == (inst.id, 2, person.id)
