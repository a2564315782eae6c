"""Households at the one window: registration with field-by-field validation, search, and the
declaration of staff members' near relatives (单独登记备案). Pure core: no Flask."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from pypinyin import Style, pinyin
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from caseflow.db.models import Household, Member, OrgUnit, RelativeDeclaration, User
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.contact import InvalidContact, check_bank, normalise_phone
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.idnumber import InvalidIdNumber, parse_id_number
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local

HEAD = "户主"
RELATIONS = (HEAD, "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")
LABOUR_CAPACITY = {"full": "有劳动能力", "partial": "部分丧失劳动能力", "none": "无劳动能力"}
HEALTH = {"healthy": "健康", "chronic": "慢性病", "serious_illness": "重病"}
# 残疾类别 of the 残疾人证, stored as codes (特困 judges labour capacity by type:
# 民发〔2021〕43号 第五条（三）).
DISABILITY_TYPES = {
    "intellectual": "智力",
    "mental": "精神",
    "physical": "肢体",
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "multiple": "多重",
}
# 近亲属 as the 2021 rules list them; "其他近亲属" keeps the form open for rarer relations.
NEAR_RELATIONS = (
    "配偶",
    "父母",
    "子女",
    "子女的配偶",
    "兄弟姐妹",
    "祖父母、外祖父母",
    "孙子女、外孙子女",
    "配偶的父母",
    "配偶父母的兄弟姐妹",
    "养父母、养子女",
    "继父母、继子女",
    "其他近亲属",
)
MAX_MEMBERS = 20
REGISTER_ROLES = frozenset({Role.CLERK})
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass
class MemberInput:
    """One member row as typed at the desk (all text, validated by `register_household`)."""

    name: str = ""
    id_number: str = ""
    relation: str = ""
    labour_capacity: str = "full"
    health: str = "healthy"
    disability_grade: str = ""
    is_student: bool = False
    disability_type: str = ""  # a code of DISABILITY_TYPES, or its Chinese name (e.g. 智力残疾)

    def is_blank(self) -> bool:
        """A row the clerk left empty (forms offer more rows than most households need)."""
        return not (self.name.strip() or self.id_number.strip())


@dataclass
class HouseholdInput:
    """The registration form as typed."""

    org_unit_id: str = ""
    address: str = ""
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    members: list[MemberInput] = field(default_factory=list)


MAX_ROW_ID = 2**31 - 1


def parse_row_id(text: str | None) -> int | None:
    """A database id typed or posted as text, or None (never an int the database would refuse)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None


def _clean_text(value: str, limit: int) -> str:
    # Control characters never belong in a name or address and break printouts.
    return "".join(ch for ch in value if ch.isprintable()).strip()[:limit]


def _check_unit(session: Session, actor: Actor, raw: str, errors: dict[str, str]) -> OrgUnit | None:
    unit_id = parse_row_id(raw)
    if unit_id is None:
        errors["org_unit_id"] = "请选择所属村（居）"
        return None
    unit = session.scalars(
        select(OrgUnit).where(
            OrgUnit.id == unit_id,
            in_jurisdiction(OrgUnit.path, actor),
            OrgUnit.level.in_(("village", "township")),
        )
    ).first()
    if unit is None:
        errors["org_unit_id"] = "所选村（居）不存在或不在您的管辖范围内"
    return unit


ELSEWHERE = "已在其他乡镇登记；请联系区民政局办理迁移"


def registered_where(
    session: Session, actor: Actor, id_number: str, self_id: int | None = None
) -> str | None:
    """Why `id_number` cannot be registered again, or None. A person is a current member of at
    most one household. Inside the actor's jurisdiction the message names the household's head;
    outside it says only that the person is registered elsewhere, never where (the district,
    which sees every township, carries out the transfer)."""
    found = session.execute(
        select(Household.head_name, Household.org_path)
        .join(Member, Member.household_id == Household.id)
        .where(
            Member.id_number == id_number,
            Member.left_on.is_(None),
            Member.id != (self_id or 0),
        )
        .limit(1)
    ).first()
    if found is None:
        return None
    if actor.may_see(found.org_path):
        return f"该身份证号已登记在户主为 {found.head_name} 的家庭，请先查找该家庭"
    return ELSEWHERE


def check_member(
    session: Session,
    actor: Actor,
    row: MemberInput,
    i: int,
    today: datetime,
    seen: set[str],
    errors: dict[str, str],
    self_id: int | None = None,
) -> Member | None:
    """One member row checked field by field (errors keyed `members-<i>-<field>`); the new
    Member (not added) when the row is valid. `self_id`: the member being corrected."""
    prefix = f"members-{i}-"
    start = len(errors)
    name = _clean_text(row.name, 50)
    if not name:
        errors[prefix + "name"] = "请填写姓名"
    elif len(row.name.strip()) > 50:
        errors[prefix + "name"] = "姓名不能超过 50 个字"
    ident = None
    try:
        ident = parse_id_number(row.id_number, today=to_local(today).date())
    except InvalidIdNumber as exc:
        errors[prefix + "id_number"] = str(exc)
    if ident is not None:
        if ident.value in seen:
            errors[prefix + "id_number"] = "同一身份证号在表中重复填写"
        elif where := registered_where(session, actor, ident.value, self_id):
            errors[prefix + "id_number"] = where
        seen.add(ident.value)
    if row.relation not in RELATIONS:
        errors[prefix + "relation"] = "请选择与户主关系"
    if row.labour_capacity not in LABOUR_CAPACITY:
        errors[prefix + "labour_capacity"] = "请选择劳动能力"
    if row.health not in HEALTH:
        errors[prefix + "health"] = "请选择健康状况"
    grade = row.disability_grade.strip().translate(_FULLWIDTH_DIGITS)
    if grade and grade not in {"1", "2", "3", "4"}:
        errors[prefix + "disability_grade"] = "残疾等级应为 1–4 级或留空"
    kind = disability_type_code(row.disability_type)
    if kind is None:
        errors[prefix + "disability_type"] = "残疾类别应为智力、精神、肢体、视力、听力、言语或多重"
    elif kind and not grade:
        errors[prefix + "disability_grade"] = "登记残疾类别时须同时填写残疾等级"
    if len(errors) > start or ident is None:
        return None
    return Member(
        name=name,
        id_number=ident.value,
        relation=row.relation,
        sex=ident.sex,
        birth_date=ident.birth_date,
        labour_capacity=row.labour_capacity,
        health=row.health,
        disability_grade=int(grade) if grade else None,
        disability_type=kind or None,
        is_student=bool(row.is_student),
    )


def disability_type_code(text: str) -> str | None:
    """The code for a typed disability type ("" when left empty, None when not a type)."""
    value = text.strip().removesuffix("残疾")
    if not value:
        return ""
    if value in DISABILITY_TYPES:
        return value
    return next((code for code, label in DISABILITY_TYPES.items() if label == value), None)


def _contact(check: Callable[[str], str], typed: str, key: str, errors: dict[str, str]) -> str:
    """The stored form of a telephone or bank, or "" with the field's message in `errors`."""
    try:
        return check(typed)
    except InvalidContact as exc:
        errors[key] = exc.message_zh
        return ""


def validate_household(
    session: Session, actor: Actor, form: HouseholdInput, now: datetime
) -> Household:
    """Build (not add) the household, or raise PayloadInvalid naming every bad field."""
    errors: dict[str, str] = {}
    unit = _check_unit(session, actor, form.org_unit_id, errors)
    contact = check_contact(form, errors)
    rows = [r for r in form.members if not r.is_blank()]
    if not rows:
        errors["members"] = "请至少填写一名家庭成员（户主）"
    elif len(rows) > MAX_MEMBERS:
        errors["members"] = f"家庭成员不能超过 {MAX_MEMBERS} 人"
    elif sum(1 for r in rows if r.relation == HEAD) != 1:
        errors["members"] = "家庭成员中须有且只有一名户主"
    seen: set[str] = set()
    members = [
        m
        for i, row in enumerate(form.members)
        if not row.is_blank() and (m := check_member(session, actor, row, i, now, seen, errors))
    ]
    if errors or unit is None:
        raise PayloadInvalid(errors)
    head = next(m for m in members if m.relation == HEAD)
    return Household(
        org_unit_id=unit.id,
        org_path=unit.path,
        head_name=head.name,
        created_at=now,
        members=members,
        **contact,
    )


def check_contact(form: HouseholdInput, errors: dict[str, str]) -> dict[str, str]:
    """Address, phone and bank of the form, cleaned; a bad one is named in `errors`."""
    phone = _contact(normalise_phone, form.phone, "phone", errors)
    bank_name = _contact(check_bank, form.bank_name, "bank_name", errors)
    account = "".join(form.bank_account.translate(_FULLWIDTH_DIGITS).split())
    if account and not (account.isdigit() and 8 <= len(account) <= 30):
        errors["bank_account"] = "银行账号应为 8–30 位数字"
    if len(form.address.strip()) > 300:
        errors["address"] = "地址不能超过 300 个字"
    return {
        "address": _clean_text(form.address, 300),
        "phone": phone,
        "bank_name": bank_name,
        "bank_account": account,
    }


def register_household(
    session: Session, actor: Actor, form: HouseholdInput, now: datetime
) -> Household:
    """Validate and save a household with its members in one commit; nothing saved on any error."""
    if not actor.roles & REGISTER_ROLES:
        raise PermissionDenied("只有一门受理窗口可以登记家庭")
    with UnitOfWork(session) as uow:
        household = validate_household(session, actor, form, now)
        session.add(household)
        uow.commit()
    return household


def household_in_scope(session: Session, actor: Actor, household_id: int) -> Household:
    """The household, if inside the actor's jurisdiction (checked in SQL), else CaseNotFound."""
    household = session.scalars(
        select(Household).where(
            Household.id == household_id,
            in_jurisdiction(Household.org_path, actor),
        )
    ).first()
    if household is None:
        raise CaseNotFound("家庭不存在或不在您的管辖范围内")
    return household


# --- search --------------------------------------------------------------------------------


@lru_cache(maxsize=20000)
def name_initials(name: str) -> frozenset[str]:
    """Every pinyin-initials spelling of a name (polyphonic characters such as 单 give several)."""
    letters = pinyin(name, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    choices = [sorted({c[0].lower() for c in opts if c}) for opts in letters if opts]
    choices = [c for c in choices if c]
    spellings: set[str] = set()
    # Cap the product: a long name full of polyphones would otherwise explode.
    for combo in itertools.islice(itertools.product(*choices), 64):
        spellings.add("".join(combo))
    return frozenset(spellings)


@dataclass(frozen=True)
class SearchHit:
    household: Household
    matched: str  # the member name that matched, for the result list


def _looks_like_id(query: str) -> bool:
    text = query.translate(_FULLWIDTH_DIGITS).upper()
    return len(text) >= 4 and text[:-1].isdigit() and (text[-1].isdigit() or text[-1] == "X")


def find_households(session: Session, actor: Actor, query: str, limit: int = 50) -> list[SearchHit]:
    """Households in the actor's jurisdiction by ID number (full or at least 4 digits), name
    (substring) or pinyin initials (e.g. "wdm" finds 王大明)."""
    query = "".join(query.split())[:40]
    if not query:
        return []
    in_scope = in_jurisdiction(Household.org_path, actor)
    base = (
        select(Member.household_id, Member.name)
        .join(Household)
        .where(in_scope, Member.left_on.is_(None))
    )
    if _looks_like_id(query):
        try:
            exact = parse_id_number(query).value
            cond = Member.id_number == exact
        except InvalidIdNumber:
            cond = Member.id_number.contains(
                query.translate(_FULLWIDTH_DIGITS).upper(), autoescape=True
            )
        rows = session.execute(base.where(cond).limit(limit)).all()
    elif query.isascii() and query.isalpha():
        wanted = query.lower()
        rows = [
            r
            for r in session.execute(base.order_by(Member.household_id))
            if any(s.startswith(wanted) for s in name_initials(r.name))
        ][:limit]
    else:
        rows = session.execute(
            base.where(
                or_(
                    Member.name.contains(query, autoescape=True),
                    Household.head_name.contains(query, autoescape=True),
                )
            ).limit(limit)
        ).all()
    matched: dict[int, str] = {}
    for household_id, name in rows:
        matched.setdefault(household_id, name)
    households = session.scalars(
        select(Household).where(Household.id.in_(matched), in_scope).order_by(Household.id)
    ).all()
    return [SearchHit(h, matched[h.id]) for h in households]


# --- near relatives of staff -----------------------------------------------------------------


def declare_relative(
    session: Session,
    actor: Actor,
    household_id: int,
    *,
    staff_user_id: int | None,
    staff_name: str,
    relation: str,
    now: datetime,
) -> RelativeDeclaration:
    """Record that the household is a near relative of a staff (or village-committee) member."""
    with UnitOfWork(session) as uow:
        household = household_in_scope(session, actor, household_id)
        errors: dict[str, str] = {}
        name = _clean_text(staff_name, 100)
        if staff_user_id is not None:
            user = session.get(User, staff_user_id) if staff_user_id <= MAX_ROW_ID else None
            if user is None:
                errors["staff_user_id"] = "所选工作人员不存在"
            else:
                name = name or user.display_name
        if not name:
            errors["staff_name"] = "请选择工作人员或填写村委会成员姓名"
        if relation not in NEAR_RELATIONS:
            errors["relation"] = "请选择近亲属关系"
        if errors:
            raise PayloadInvalid(errors)
        row = RelativeDeclaration(
            household_id=household.id,
            staff_user_id=staff_user_id,
            staff_name=name,
            relation=relation,
            declared_at=now,
        )
        session.add(row)
        uow.commit()
    return row


def has_relative_declaration(session: Session, household_id: int) -> bool:
    """True when any near relative of staff is declared for the household."""
    found = session.scalar(
        select(RelativeDeclaration.id)
        .where(RelativeDeclaration.household_id == household_id)
        .limit(1)
    )
    return found is not None
