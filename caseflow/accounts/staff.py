"""Account changes behind the auth and admin pages, each one unit of work with its admin-log
entry; and the reads of accounts inside an admin's subtree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.accounts import throttle
from caseflow.accounts.orgs import ensure_district
from caseflow.accounts.passwords import password_problem
from caseflow.accounts.signin import bump_generation
from caseflow.accounts.users import hash_password, new_user, password_matches
from caseflow.casework.households import parse_row_id
from caseflow.db.models import OrgUnit, User, UserRole
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.institutions.admission import follow_the_accounts
from caseflow.institutions.models import Institution
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid
from caseflow.kernel.roles import ROLE_NAMES, Role

ASSIGNABLE_ROLES = [r.value for r in Role if r is not Role.SYSTEM]


def _tell(session: Session, institution_ids: set[int], now: datetime) -> None:
    """Inside the saving unit of work: the admissions waiting at institutions whose staff
    accounts may have changed (opened, stopped, moved) follow whoever now confirms the bed."""
    if institution_ids:
        session.flush()
        follow_the_accounts(session, institution_ids, now)


class PasswordRejected(PayloadInvalid):
    """The new password (or the current one) is not acceptable."""


class PasswordChecksThrottled(PayloadInvalid):
    """Too many wrong current passwords lately: wait `seconds`."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__({"current": f"当前密码错误次数过多，请 {seconds} 秒后再试"})


def _check_new_password(user: User, new: str, confirm: str, errors: dict[str, str]) -> None:
    problem = password_problem(new, user.username, user.display_name)
    if problem:
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = "两次输入的新密码不一致"


def change_password(
    session: Session, user_id: int, current: str, new: str, confirm: str, now: datetime
) -> User:
    """Change one's own password after checking the current one (wrong current passwords back
    off like sign-ins: a stolen session cannot guess it); every other session ends."""
    guard = [throttle.key(throttle.PASSWORD, str(user_id))]
    wait = throttle.wait_seconds(session, guard, now)
    if wait:
        raise PasswordChecksThrottled(wait)
    user = session.get(User, user_id)
    assert user is not None
    # The slow hash check runs outside the write transaction: other writers need not wait.
    current_ok = password_matches(user, current)
    errors: dict[str, str] = {}
    if not current_ok:
        errors["current"] = "当前密码不正确"
    _check_new_password(user, new, confirm, errors)
    if not current_ok:
        throttle.record_failure(session, guard, now)
    if errors:
        raise PasswordRejected(errors)
    with UnitOfWork(session) as uow:
        user = session.get(User, user_id, populate_existing=True)
        assert user is not None
        user.password_hash = hash_password(new)
        bump_generation(user)
        throttle.clear(session, guard)
        append_admin_event(
            session,
            actor_id=user.id,
            action="password_changed",
            subject=user.username,
            payload={},
            at=now,
        )
        uow.commit()
    return user


def users_in_scope(session: Session, actor: Actor, *, active_only: bool = False) -> list[User]:
    """Accounts whose unit lies inside the admin's subtree, in tree order, then by username."""
    stmt = (
        select(User)
        .join(OrgUnit, User.org_unit_id == OrgUnit.id)
        .where(in_jurisdiction(OrgUnit.path, actor))
        .order_by(OrgUnit.path, User.username)
    )
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    return list(session.scalars(stmt))


def user_in_scope(session: Session, actor: Actor, user_id: int) -> User:
    """A user whose unit lies inside the admin's subtree, else CaseNotFound (404)."""
    user = session.scalar(
        select(User)
        .join(OrgUnit, User.org_unit_id == OrgUnit.id)
        .where(User.id == user_id, in_jurisdiction(OrgUnit.path, actor))
    )
    if user is None:
        raise CaseNotFound("用户不存在或不在您的管辖范围内")
    return user


@dataclass
class UserForm:
    username: str = ""
    display_name: str = ""
    org_unit_id: str = ""
    roles: tuple[str, ...] = ()
    password: str = ""
    active: bool = True
    institution_id: str = ""  # only for Role.INSTITUTION_STAFF


def _institution(
    session: Session, actor: Actor, form: UserForm, errors: dict[str, str]
) -> Institution | None:
    """The institution an institution's staff account is bound to: chosen exactly when the
    role is institution_staff, which is then the account's only role."""
    staff = Role.INSTITUTION_STAFF.value
    chosen = form.institution_id.strip()
    if staff not in form.roles:
        if chosen:
            errors["institution_id"] = "只有「供养机构工作人员」角色的账号才能选择供养机构"
        return None
    if set(form.roles) != {staff}:
        errors["roles"] = "供养机构工作人员的账号只能有「供养机构工作人员」一个角色"
    inst_id = parse_row_id(chosen)
    inst = None
    if inst_id is not None:
        inst = session.scalar(
            select(Institution).where(
                Institution.id == inst_id, in_jurisdiction(Institution.org_path, actor)
            )
        )
    if inst is None:
        errors["institution_id"] = "请选择该工作人员所在的供养机构"
    elif not inst.active:
        errors["institution_id"] = f"{inst.name}已停用，不能为其开设账号"
    return inst


def _validate(
    session: Session, actor: Actor, form: UserForm, errors: dict[str, str]
) -> tuple[OrgUnit | None, Institution | None]:
    if not form.display_name.strip() or len(form.display_name) > 100:
        errors["display_name"] = "请填写姓名（100 字以内）"
    unknown = [r for r in form.roles if r not in ROLE_NAMES or r == Role.SYSTEM]
    if unknown or not form.roles:
        errors["roles"] = "请至少选择一个有效角色"
    inst = _institution(session, actor, form, errors)
    unit = None
    unit_id = parse_row_id(form.org_unit_id)
    if unit_id is None and inst is not None:
        unit_id = inst.org_unit_id  # the institution's township, unless another was chosen
    if unit_id is not None:
        unit = session.scalar(
            select(OrgUnit).where(
                OrgUnit.id == unit_id,
                in_jurisdiction(OrgUnit.path, actor),
            )
        )
    if unit is None:
        errors["org_unit_id"] = "请选择所属单位"
    elif inst is not None and unit.id != inst.org_unit_id:
        errors["org_unit_id"] = "供养机构工作人员的所属单位须为机构所在的乡镇"
    return unit, inst


def create_user(session: Session, actor: Actor, form: UserForm, now: datetime) -> User:
    """A new active account with roles and a unit inside the admin's subtree."""
    with UnitOfWork(session) as uow:
        errors: dict[str, str] = {}
        username = form.username.strip()
        if not (3 <= len(username) <= 64) or not username.replace("_", "").isalnum():
            errors["username"] = "用户名为 3–64 位字母、数字或下划线"
        elif session.scalar(select(User.id).where(User.username == username)):
            errors["username"] = "该用户名已存在"
        problem = password_problem(form.password, username, form.display_name)
        if problem:
            errors["password"] = problem
        unit, inst = _validate(session, actor, form, errors)
        if errors or unit is None:
            raise PayloadInvalid(errors)
        user = new_user(username, form.display_name.strip(), unit, form.roles, now, form.password)
        user.institution_id = inst.id if inst is not None else None
        session.add(user)
        session.flush()
        payload: dict[str, object] = {"roles": sorted(form.roles), "unit": unit.code}
        if inst is not None:
            payload["institution"] = f"{inst.id} {inst.name}"
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="user_created",
            subject=username,
            payload=payload,
            at=now,
        )
        _tell(session, {user.institution_id} if user.institution_id else set(), now)
        uow.commit()
    return user


def create_first_admin(
    session: Session, username: str, display_name: str, password: str, now: datetime
) -> User:
    """An administrator of the whole district from the server's shell (`caseflow users
    create-admin`), with the district and its townships created if the database has none: how a
    new installation gets its first account without the demo data. Refused field by field in
    Chinese (a taken name, a weak password), nothing written; the admin log says who made it."""
    with UnitOfWork(session) as uow:
        errors: dict[str, str] = {}
        username = username.strip()
        if not (3 <= len(username) <= 64) or not username.replace("_", "").isalnum():
            errors["username"] = "用户名为 3–64 位字母、数字或下划线"
        elif session.scalar(select(User.id).where(User.username == username)):
            errors["username"] = "该用户名已存在"
        name = display_name.strip()
        if not name or len(name) > 50:
            errors["display_name"] = "请填写姓名（50 字以内）"
        problem = password_problem(password, username, name)
        if problem:
            errors["password"] = problem
        if errors:
            raise PayloadInvalid(errors)
        district = ensure_district(session)
        user = new_user(username, name, district, (Role.ADMIN.value,), now, password)
        session.add(user)
        session.flush()
        append_admin_event(
            session,
            actor_id=None,
            action="user_created",
            subject=username,
            payload={"roles": [Role.ADMIN.value], "unit": district.code, "via": "cli"},
            at=now,
        )
        uow.commit()
    return user


def update_user(
    session: Session, actor: Actor, user_id: int, form: UserForm, now: datetime
) -> User:
    """Change name, roles, unit and active flag; a new password only when one is typed."""
    with UnitOfWork(session) as uow:
        user = user_in_scope(session, actor, user_id)
        errors: dict[str, str] = {}
        problem = form.password and password_problem(
            form.password, user.username, form.display_name or user.display_name
        )
        if problem:
            errors["password"] = problem
        if user.id == actor.user_id and not form.active:
            errors["active"] = "不能停用自己的账号"
        unit, inst = _validate(session, actor, form, errors)
        if errors or unit is None:
            raise PayloadInvalid(errors)
        before = {
            "roles": sorted(user.role_names),
            "unit": user.org_unit.code,
            "active": user.active,
            "institution_id": user.institution_id,
        }
        user.display_name = form.display_name.strip()
        user.org_unit = unit
        user.org_unit_id = unit.id
        user.active = form.active
        user.institution_id = inst.id if inst is not None else None
        _set_roles(user, form.roles)
        if form.password:
            user.password_hash = hash_password(form.password)
            bump_generation(user)  # a reset ends every session signed in with the old one
        after = {
            "roles": sorted(form.roles),
            "unit": unit.code,
            "active": form.active,
            "institution_id": user.institution_id,
        }
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="user_updated",
            subject=user.username,
            payload={"before": before, "after": after, "password_reset": bool(form.password)},
            at=now,
        )
        changed = {before["institution_id"], after["institution_id"]}
        _tell(session, {i for i in changed if isinstance(i, int)}, now)
        uow.commit()
    return user


def _set_roles(user: User, roles: Iterable[str]) -> None:
    wanted = set(roles)
    user.roles = [r for r in user.roles if r.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - user.role_names)
    ]
