"""The demo's institutional care: three institutions entered by the district's admin, some 特困
persons admitted (through fire, as staff would), admissions waiting for a bed (at the
institution with an account and at one without) and one waiting for the district. 滨河镇敬老院
has an account of its own staff (INSTITUTION_ACCOUNT, created by the admin): its beds are
confirmed by that account, the other institutions' by the township on their word (the fallback of
workflows/admission.yaml), and the admission waiting for its bed waits in that account's queue.
Telephones and accounts are made up."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.accounts.passwords import DEMO_PASSWORD
from caseflow.accounts.staff import UserForm, create_user
from caseflow.accounts.users import hash_password
from caseflow.db.models import Case, OrgUnit, User, UserRole
from caseflow.engine.fire import fire
from caseflow.engine.uow import UnitOfWork
from caseflow.institutions.admission import confirm_bed_at_institution, propose_admission
from caseflow.institutions.models import Institution
from caseflow.institutions.records import save_institution
from caseflow.kernel.actors import Actor
from caseflow.kernel.contact import district_banks
from caseflow.kernel.errors import PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.read.occupancy import candidates

# (name, kind, township code, licensed beds, capacity 全自理/半失能/全失能, phone, account)
INSTITUTIONS = (
    ("滨河镇敬老院", "敬老院", "640502100", 20, (20, 12, 6), "0955-7011001", "6228480000100001"),
    (
        "沙坡头区中心敬老院",
        "供养服务机构",
        "640502101",
        40,
        (40, 30, 15),
        "0955-7011002",
        "6228480000100002",
    ),
    ("香山乡敬老院", "敬老院", "640502200", 10, (10, 6, 2), "0955-7011003", "6228480000100003"),
)
# The demo's institution account: staff of 滨河镇敬老院 (password: the demo password).
INSTITUTION_ACCOUNT = ("binhe_jinglaoyuan", "640502100")
# Where each placed person's admission is left, in order: as few 特困 persons as the demo has,
# it still shows a resident, one waiting for the institution's account to confirm a bed, one
# waiting for the township to record one, and one waiting for the district.
STEPS = ("in_care", "awaiting_institution", "proposed", "district_review", "in_care", "in_care")


def _actor(session: Session, role: Role, path_prefix: str) -> Actor | None:
    """The first active user with `role` whose unit lies on `path_prefix`'s branch."""
    return next(iter(_actors(session, role, path_prefix)), None)


def _actors(session: Session, role: Role, path_prefix: str) -> list[Actor]:
    """Every active user with `role` whose unit lies on `path_prefix`'s branch, by id."""
    rows = session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(UserRole.role == role.value, User.active.is_(True))
        .order_by(User.id)
    ).all()
    return [Actor.from_user(u) for u in rows if path_prefix.startswith(u.org_unit.path)]


def seed_institutions(session: Session, now: datetime) -> int:
    """Enter the institutions and place the first 特困 persons; returns how many admissions."""
    district = session.scalar(select(OrgUnit).where(OrgUnit.level == "district"))
    admin = _actor(session, Role.ADMIN, district.path) if district else None
    approver = _actor(session, Role.DISTRICT_APPROVER, district.path) if district else None
    if admin is None or approver is None or district is None:
        return 0
    bank = district_banks()[0]
    created = now - timedelta(days=40)
    places = {}
    for name, kind, code, beds, (own, partial, full), phone, account in INSTITUTIONS:
        typed = {
            "name": name,
            "kind": kind,
            "township": code,
            "licensed_beds": str(beds),
            "capacity_self_care": str(own),
            "capacity_partial": str(partial),
            "capacity_full": str(full),
            "phone": phone,
            "account_name": name,
            "bank_name": bank,
            "bank_account": account,
            "active": "1",
        }
        places[code] = save_institution(session, admin, typed, created)
    central = places["640502101"]
    staff = _institution_staff(session, admin, places[INSTITUTION_ACCOUNT[1]], created)
    # 滨河镇's first, so the demo's roll (滨河镇, next month) shows an institution's line.
    people = sorted(
        candidates(session, approver),
        key=lambda p: _township_code(session, p.tekun_case_id) != "640502100",
    )
    opened = 0
    for n, (person, step) in enumerate(zip(people, STEPS, strict=False)):
        township_code = _township_code(session, person.tekun_case_id)
        reviewer = _actor(session, Role.TOWNSHIP_REVIEWER, f"/{district.code}/{township_code}/")
        if reviewer is None:
            continue
        inst = places.get(township_code, central)
        if step == "awaiting_institution":  # waits in the institution account's queue
            inst = places[INSTITUTION_ACCOUNT[1]]
        elif step == "proposed" and inst.id == staff.institution_id:
            inst = central  # waits for the township to record the bed: no account there
        # After every seeded approval, so the placement is the newest entitlement version.
        when = now - timedelta(days=2) + timedelta(hours=n)
        ground = "unable_alone" if person.care_level in ("full", "partial") else "chosen"
        case = propose_admission(session, reviewer, person.member_id, inst.id, ground, when)
        opened += 1
        if step in ("awaiting_institution", "proposed"):  # waits for a bed to be confirmed
            continue
        bed = {"bed_no": n + 1, "confirmed_by": "院长（演示）"}
        township = [
            *_actors(session, Role.TOWNSHIP_REVIEWER, f"/{district.code}/{township_code}/"),
            *_actors(session, Role.TOWNSHIP_LEADER, f"/{district.code}/{township_code}/"),
        ]
        if inst.id == staff.institution_id:  # the institution confirms its own beds
            confirm_bed_at_institution(session, staff, case.id, bed, when + timedelta(hours=2))
        else:  # no account of its own: the township records the institution's word
            _fire_first(session, case.id, "confirm_bed", township, when + timedelta(hours=2), bed)
        if step == "in_care":
            approvers = _actors(session, Role.DISTRICT_APPROVER, district.path)
            _fire_first(session, case.id, "approve_admission", approvers, when + timedelta(hours=3))
    return opened


def _institution_staff(
    session: Session, admin: Actor, inst: Institution, created: datetime
) -> Actor:
    """The demo account of an institution's staff, opened by the admin as on /admin/users."""
    form = UserForm(
        username=INSTITUTION_ACCOUNT[0],
        display_name=f"{inst.name}工作人员",
        roles=(Role.INSTITUTION_STAFF.value,),
        # The password rules refuse the demo password itself: a throw-away one first, then the
        # demo password's hash, as every demo account has.
        password=secrets.token_urlsafe(24),
        institution_id=str(inst.id),
    )
    user = create_user(session, admin, form, created)
    with UnitOfWork(session) as uow:
        user.password_hash = hash_password(DEMO_PASSWORD)
        uow.commit()
    return Actor.from_user(user)


def _fire_first(
    session: Session,
    case_id: int,
    trigger: str,
    actors: list[Actor],
    when: datetime,
    payload: dict[str, object] | None = None,
) -> None:
    """Fire as the first colleague who may: one who is a declared near relative of the
    household (近亲属备案) must step aside, and a colleague acts."""
    refused: list[str] = []
    for actor in actors:
        try:
            fire(session, case_id, trigger, actor, when, payload)
            return
        except PermissionDenied as exc:
            refused.append(str(exc))
    raise RuntimeError(f"demo admission {case_id}: nobody may {trigger}: {refused}")


def _township_code(session: Session, case_id: int) -> str:
    path = session.scalar(select(Case.org_path).where(Case.id == case_id)) or ""
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 else ""
