"""The demo district (沙坡头区): villages, staff for every role, households, and cases in every
state of every workflow — each case reaching its state only through engine.open_case and fire.

Idempotence: when any demo account (e.g. `admin`, `binhe_clerk`) already exists, seed_demo
changes nothing and returns a notice with the current counts; when the database holds households
but no demo accounts, it refuses (returns a notice) rather than mixing made-up and real data.
The data are made up, drawn from a seeded random.Random, so the same call gives the same district.
"""

from __future__ import annotations

import contextlib
import heapq
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import add_unit, ensure_district
from caseflow.accounts.users import hash_password, new_user
from caseflow.casework.facts_adapter import household_facts
from caseflow.casework.intake import OWN_INTAKE
from caseflow.db.models import (
    Assessment,
    Case,
    Deadline,
    Household,
    Member,
    MemberAsset,
    MemberIncome,
    OrgUnit,
    PolicyRecord,
    RelativeDeclaration,
    User,
    UserRole,
)
from caseflow.engine.fire import CaseFlags, fire, open_case
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import SYSTEM_ACTOR, Actor
from caseflow.kernel.errors import GuardFailed, PermissionDenied
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.resources import seed_dir
from caseflow.kernel.roles import ROLE_LABELS, Role
from caseflow.kernel.timeutil import LOCAL_TZ, full_years, require_aware, to_local, utcnow
from caseflow.policy.config import PolicyConfig
from caseflow.policy.means_test import (
    own_assessed_income_fen,
    property_results,
    single_person_ground,
)
from caseflow.policy.store import load_policy_file, policy_table
from caseflow.policy.temporary import advance_cap_fen
from caseflow.seed.means import demo_records
from caseflow.workflow.model import PayloadField, StateDef, TransitionDef, WorkflowDef
from caseflow.workflow.registry import Registry, registry
from caseflow.workflow.rulesets import DeadlineRule, RuleSet, select_ruleset

DEMO_DIR = seed_dir() / "demo"
DEMO_PASSWORD = "caseflow-demo"
EXAMPLE_POLICY = seed_dir() / "policy" / "640502-example.yaml"
# The example values start in 2025; the demo's 2021 legacy cases need one in force in 2021.
LEGACY_POLICY = DEMO_DIR / "policy-2021-example.yaml"
AREA_CODE = "640502"
RANDOM_SEED = 640502
MIN_HOUSEHOLDS = 20
# Cases opened before 2021-07-01 fall under the 2012 rules (民主评议); the demo's legacy cases
# are opened in this week.
LEGACY_WEEK = datetime(2021, 6, 7, 9, 0, tzinfo=LOCAL_TZ)

TOWNSHIP_ACCOUNTS: tuple[tuple[str, Role], ...] = (
    ("clerk", Role.CLERK),
    ("investigator1", Role.INVESTIGATOR),
    ("investigator2", Role.INVESTIGATOR),
    ("reviewer", Role.TOWNSHIP_REVIEWER),
    ("leader", Role.TOWNSHIP_LEADER),
    ("liaison", Role.POVERTY_LIAISON),
)
DISTRICT_ACCOUNTS: tuple[tuple[str, Role], ...] = (
    ("district_approver1", Role.DISTRICT_APPROVER),
    ("district_approver2", Role.DISTRICT_APPROVER),
    ("district_finance", Role.DISTRICT_FINANCE),
    ("supervisor", Role.SUPERVISOR),
    ("admin", Role.ADMIN),
)

# Routes avoid transitions that need a special world unless the plan asks for them.
LEGACY_TRIGGERS = frozenset({"start_appraisal", "record_appraisal"})
MINOR_TRIGGER = "skip_publicity_minor"
# The emergency route (救急难) only where a plan asks for it: the normal route is the common one.
SPECIAL_COST = {
    MINOR_TRIGGER: 50,
    "start_appraisal": 50,
    "record_appraisal": 50,
    "declare_emergency": 10,
}
# 渐退期 is for a 低保 household whose income from work rose (民发〔2021〕57号 第三十三条).
GRADUAL_TRIGGER = "approve_gradual_exit"
# Who does a step when several roles may: the realistic colleague first.
PREFERRED_ROLE = {
    "record_district_visit": Role.SUPERVISOR,
    "record_payment": Role.DISTRICT_FINANCE,
    "extend_deadline": Role.TOWNSHIP_LEADER,
}
_ROLE_ORDER = {r.value: i for i, r in enumerate(Role)}
SUMMARY_ORDER = ("dibao", "tekun", "temporary", "removal", "review", "referral")
# Plans run in this order so reviews and removals find households already in care.
_WORKFLOW_ORDER = {"dibao": 0, "tekun": 0, "temporary": 1, "referral": 1, "review": 2}
# Decisions whose amount the engine checks against the recorded assessment's cap.
DECISION_TRIGGERS = frozenset(
    {"approve", "township_approve", "district_approve", "propose_adjustment"}
)
# Internal transitions that record the assessment a case needs before it leaves verify.
ASSESSMENT_TRIGGERS = ("record_assessment", "record_self_care")
MEANS_TRIGGER = "record_household_means"  # the home visit's income, asset and expense lines
# 临时救助 causes whose cap exceeds the township's ceiling (the district route needs one).
LARGE_CAUSES = ("因病", "因灾")
SELF_CARE_ITEMS = ("吃饭", "穿衣", "上下床", "如厕", "室内行走", "洗澡")
BANKS = (
    ("中国农业银行", "622848"),
    ("中国邮政储蓄银行", "621799"),
    ("宁夏黄河农村商业银行", "623091"),
)
PHONE_PREFIXES = ("139", "138", "151", "152", "180", "187", "199", "177")
ELIGIBLE_GUARD = "means_test_eligible"
APPLICANT_PROFILES = frozenset({"low_income", "ill", "disabled", "elderly"})
PROFILE_WEIGHTS = {"elderly": 15, "ill": 20, "disabled": 15, "low_income": 35, "ordinary": 15}


# ---------------------------------------------------------------------------- data files


@dataclass(frozen=True)
class Township:
    code: str
    slug: str
    villages: tuple[str, ...]
    phone: str = ""  # the service centre's telephone (made up), printed on its notices


@dataclass(frozen=True)
class DemoData:
    """The made-up names and texts of seed/demo/."""

    townships: tuple[Township, ...]
    district_phone: str
    names: dict[str, Any]
    phrases: dict[str, Any]
    mix: list[dict[str, Any]]


def _load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def load_demo_data(folder: Path = DEMO_DIR) -> DemoData:
    """Read townships, names, phrases and the case mix from `folder`."""
    raw = _load_yaml(folder / "townships.yaml")
    townships = tuple(
        Township(
            str(t["code"]),
            str(t["slug"]),
            tuple(str(v) for v in t["villages"]),
            str(t.get("phone", "")),
        )
        for t in raw["townships"]
    )
    return DemoData(
        townships=townships,
        district_phone=str(raw.get("district_phone", "")),
        names=_load_yaml(folder / "names.yaml"),
        phrases=_load_yaml(folder / "phrases.yaml"),
        mix=list(_load_yaml(folder / "case_mix.yaml")["mix"]),
    )


def demo_usernames(data: DemoData) -> list[str]:
    """Every account the demo creates."""
    names = [name for name, _ in DISTRICT_ACCOUNTS]
    for t in data.townships:
        names.extend(f"{t.slug}_{suffix}" for suffix, _ in TOWNSHIP_ACCOUNTS)
    return names


# ---------------------------------------------------------------------------- entry point


def seed_demo(session: Session, households: int = 300, now: datetime | None = None) -> str:
    """Load the demo district and return a Chinese summary (or why nothing was loaded)."""
    now = require_aware(now, "now") if now is not None else utcnow()
    data = load_demo_data()
    existing = session.scalars(
        select(User.username).where(User.username.in_(demo_usernames(data)))
    ).all()
    if existing:
        return (
            f"演示数据已存在（已有演示账号 {', '.join(sorted(existing)[:3])} 等），未重复导入。\n"
            + demo_summary(session, now, data)
        )
    if session.scalar(select(func.count()).select_from(Household)):
        return "数据库中已有家庭数据但没有演示账号：演示数据只能导入空数据库，未做任何改动。"
    households = max(households, MIN_HOUSEHOLDS)
    rng = random.Random(RANDOM_SEED)
    created = min(now, LEGACY_WEEK - timedelta(days=30))
    with UnitOfWork(session) as uow:  # the district, its staff and households: all or nothing
        villages = _add_org_tree(session, data)
        staff = _add_staff(session, data, rng, created)
        homes = _add_households(session, data, villages, rng, households, now, created)
        uow.commit()
    _load_policies(session, staff.district[Role.ADMIN][0].user_id, created)
    reg = registry()
    seeder = _CaseSeeder(session, reg, staff, homes, data, rng, now)
    for plan in case_plans(reg, data, rng, households):
        seeder.run(plan)
    from caseflow.seed.institutions import seed_institutions  # 集中供养: institutions, beds
    from caseflow.seed.orphans import seed_orphans  # 孤儿 / 事实无人抚养儿童, one per state
    from caseflow.seed.oversight import seed_oversight  # 抽查 with a finding, a complaint
    from caseflow.seed.roll import prepare_demo_roll  # a roll for the payments page
    from caseflow.seed.routine import seed_rounds, seed_training  # 排查摸底 rounds, 业务培训

    seed_institutions(session, now)
    seed_orphans(session, now)  # before the roll: the allowance in care is on it
    prepare_demo_roll(session, now)
    seed_rounds(session, now)
    seed_training(session, now)
    seed_oversight(session, now)
    return demo_summary(session, now, data)


def _load_policies(session: Session, admin_id: int | None, at: datetime) -> None:
    """Enter the example policy values (seed/policy) and the demo's 2021 example, if absent."""
    entered = set(
        session.scalars(
            select(PolicyRecord.effective_from).where(PolicyRecord.region == AREA_CODE)
        ).all()
    )
    if not entered:
        load_policy_file(session, EXAMPLE_POLICY, admin_id, at)
    if not any(day <= LEGACY_WEEK.date() for day in entered):
        load_policy_file(session, LEGACY_POLICY, admin_id, at)


# ---------------------------------------------------------------------------- org tree, staff


def _add_org_tree(session: Session, data: DemoData) -> list[tuple[OrgUnit, Township]]:
    """The district, its townships, and the made-up villages below each township."""
    district = ensure_district(session)
    units = {u.code: u for u in session.scalars(select(OrgUnit))}
    district.phone = district.phone or data.district_phone or None
    villages: list[tuple[OrgUnit, Township]] = []
    for t in data.townships:
        units[t.code].phone = units[t.code].phone or t.phone or None
        for i, name in enumerate(t.villages, start=1):
            code = f"{t.code}{i:03d}"
            unit = units.get(code) or add_unit(session, code, name, "village", units[t.code])
            villages.append((unit, t))
    return villages


@dataclass
class Staff:
    """Demo actors by township code and role, and district actors by role."""

    township: dict[str, dict[str, list[Actor]]] = field(default_factory=dict)
    district: dict[str, list[Actor]] = field(default_factory=dict)

    def for_role(self, role: str, township_code: str) -> list[Actor]:
        """Actors who hold `role` and may act in the township."""
        if role == Role.SYSTEM:
            return [SYSTEM_ACTOR]
        return self.township.get(township_code, {}).get(role, []) + self.district.get(role, [])


def _add_staff(session: Session, data: DemoData, rng: random.Random, now: datetime) -> Staff:
    """Accounts for every township role in every township, and the district's accounts."""
    # scrypt is deliberately slow: hash the shared demo password once and reuse the hash.
    password_hash = hash_password(DEMO_PASSWORD)
    names = _NameMaker(rng, data.names)
    units = {u.code: u for u in session.scalars(select(OrgUnit))}
    specs: list[tuple[str, str, Role]] = [
        (username, "640502", role) for username, role in DISTRICT_ACCOUNTS
    ]
    for t in data.townships:
        specs.extend((f"{t.slug}_{suffix}", t.code, role) for suffix, role in TOWNSHIP_ACCOUNTS)
    users: list[tuple[User, str, Role]] = []
    for username, code, role in specs:
        born = date(rng.randint(1968, 1998), rng.randint(1, 12), rng.randint(1, 28))
        display = names.person(rng.choice("MF"), born)
        user = new_user(username, display, units[code], [role], now)
        user.password_hash = password_hash
        session.add(user)
        users.append((user, code, role))
    session.flush()
    staff = Staff()
    for user, code, role in users:
        actor = Actor.from_user(user)
        bucket = staff.district if code == "640502" else staff.township.setdefault(code, {})
        bucket.setdefault(role.value, []).append(actor)
    return staff


# ---------------------------------------------------------------------------- households


class _NameMaker:
    """Made-up Chinese names, with given names that fit the generation."""

    def __init__(self, rng: random.Random, names: dict[str, Any]) -> None:
        self.rng = rng
        self.surnames: list[str] = list(names["surnames"])
        self.given: dict[str, list[str]] = {k: list(v) for k, v in names["given"].items()}

    def surname(self) -> str:
        """A surname, common ones more often."""
        return self.rng.choice(self.surnames)

    def given_name(self, sex: str, born: date) -> str:
        """A given name for the sex and the birth year."""
        era = "older" if born.year < 1980 else "younger"
        return self.rng.choice(self.given[f"{'male' if sex == 'M' else 'female'}_{era}"])

    def person(self, sex: str, born: date, surname: str | None = None) -> str:
        """Surname + given name."""
        return (surname or self.surname()) + self.given_name(sex, born)


@dataclass
class Home:
    """A seeded household as the case planner sees it."""

    id: int
    township: str
    village: str
    head: str
    size: int
    profile: str
    cases: int = 0
    applications: int = 0
    causes: set[str] = field(default_factory=set)  # 临时救助 causes already helped
    open_review: bool = False  # at most one open review per household (a unique index)
    relative: bool = False  # declared a staff member's near relative (every later case: 区级入户)
    disqualified: bool = False  # a refused case recorded the car that excludes it (stays on file)


@dataclass
class _Person:
    relation: str
    sex: str
    born: date
    health: str = "healthy"
    disability: int | None = None


def _birth(rng: random.Random, today: date, age: int) -> date:
    born = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
    return born if born <= today else born.replace(year=born.year - 1)


def _people(rng: random.Random, profile: str, today: date) -> list[_Person]:
    """The household's composition for its profile (1–6 persons)."""
    if profile == "minor":
        head = _Person("户主", rng.choice("MF"), _birth(rng, today, rng.randint(11, 15)))
        extra = [_Person("兄弟姐妹", rng.choice("MF"), _birth(rng, today, rng.randint(7, 10)))]
        return [head, *extra[: rng.randint(0, 1)]]
    if profile == "elderly":
        head_age = rng.randint(62, 86)
        head = _Person("户主", rng.choice("MMF"), _birth(rng, today, head_age), "chronic")
        people = [head]
        if rng.random() < 0.35:
            spouse_sex = "F" if head.sex == "M" else "M"
            spouse_age = min(head_age + rng.randint(-4, 4), 92)
            people.append(_Person("配偶", spouse_sex, _birth(rng, today, spouse_age)))
        return people
    return _family(rng, profile, today)


def _family(rng: random.Random, profile: str, today: date) -> list[_Person]:
    head_age = rng.randint(28, 66)
    head = _Person("户主", "M" if rng.random() < 0.85 else "F", _birth(rng, today, head_age))
    people = [head]
    if rng.random() < 0.85:
        sex = "F" if head.sex == "M" else "M"
        people.append(_Person("配偶", sex, _birth(rng, today, head_age + rng.randint(-5, 3))))
    for _ in range(rng.randint(0, 3)):
        child_age = head_age - rng.randint(22, 34)
        if child_age >= 1:
            people.append(_Person("子女", rng.choice("MF"), _birth(rng, today, child_age)))
    if head_age <= 55 and rng.random() < 0.35:
        age = min(head_age + rng.randint(22, 30), 92)
        people.append(_Person("父母", rng.choice("MF"), _birth(rng, today, age)))
    if head_age >= 56 and rng.random() < 0.4:
        people.append(_Person("孙子女", rng.choice("MF"), _birth(rng, today, rng.randint(3, 14))))
    people = people[:6]
    if profile == "ill":
        rng.choice(people[:2]).health = "serious_illness"
    elif profile == "disabled":
        rng.choice(people).disability = rng.choice((1, 1, 2))
    elif rng.random() < 0.1:
        rng.choice(people).disability = rng.choice((3, 4))
    return people


def _labour(p: _Person, age: int) -> str:
    if age < 16 or age >= 70 or (p.disability is not None and p.disability <= 2):
        return "none"
    if age >= 60 or p.disability is not None or p.health == "serious_illness":
        return "partial"
    return "full"


def _incomes(
    rng: random.Random, profile: str, labour: str, age: int, student: bool
) -> list[MemberIncome]:
    """Monthly incomes in fen, by source."""
    rows: list[MemberIncome] = []
    if labour == "full" and 18 <= age < 60 and not student:
        if profile == "ordinary":
            rows.append(MemberIncome(source="wages", monthly_fen=rng.randint(2500, 4500) * 100))
        elif rng.random() < 0.5:
            rows.append(MemberIncome(source="wages", monthly_fen=rng.randint(400, 1500) * 100))
    if labour != "none" and age >= 18 and profile != "elderly" and rng.random() < 0.5:
        rows.append(MemberIncome(source="business", monthly_fen=rng.randint(150, 800) * 100))
    if age >= 60:
        rows.append(MemberIncome(source="transfer", monthly_fen=rng.randint(160, 320) * 100))
    return rows


def _assets(rng: random.Random, profile: str, is_head: bool) -> list[MemberAsset]:
    """Housing for the head, and some deposits and vehicles."""
    rows: list[MemberAsset] = []
    if is_head:
        value = rng.randint(30, 160) * 1_000_00
        rows.append(MemberAsset(kind="housing", value_fen=value, note="自建房"))
        if profile == "minor":  # an orphan's household owns the parents' house, nothing more
            return rows
        if rng.random() < 0.3:
            top = 300 if profile == "ordinary" else 80  # hundreds of yuan
            rows.append(MemberAsset(kind="deposit", value_fen=rng.randint(5, top) * 100_00))
        if rng.random() < 0.2:
            rows.append(MemberAsset(kind="work_vehicle", value_fen=rng.randint(3, 15) * 1_000_00))
        if profile == "ordinary" and rng.random() < 0.3:
            rows.append(
                MemberAsset(kind="vehicle", value_fen=rng.randint(50, 150) * 1_000_00, note="轿车")
            )
            if rng.random() < 0.15:
                rows.append(MemberAsset(kind="business", employs_others=True, note="雇工经营"))
    return rows


def _may_cover_one_alone(household: Household, config: PolicyConfig) -> bool:
    """Whether, once earnings make it a 低保边缘 household, a member may be covered alone: a
    重病 / 重残 ground, own income below the standard, property within the limits — the terms of
    caseflow.policy.means_test.single_person_route other than the household's income."""
    facts = household_facts(household)
    if not all(r.passed for r in property_results(facts.members, config)):
        return False
    standard = config.dibao_standard_fen
    return any(
        single_person_ground(m) and own_assessed_income_fen(m, config) < standard
        for m in facts.members
    )


class _HouseholdMaker:
    """Builds households with members, distinct valid ID numbers, incomes and assets."""

    def __init__(self, rng: random.Random, data: DemoData, today: date, created: datetime) -> None:
        self.rng = rng
        self.names = _NameMaker(rng, data.names)
        self.today = today
        self.created = created
        self.ids: set[str] = set()

    def id_number(self, born: date, sex: str) -> str:
        """A distinct valid number whose sequence parity matches the sex (odd = male)."""
        while True:
            seq = self.rng.randrange(1 if sex == "M" else 2, 1000, 2)
            number = make_id_number(AREA_CODE, born, seq)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def member(self, p: _Person, surname: str, profile: str) -> Member:
        """One member row with incomes and assets."""
        age = full_years(p.born, self.today)
        student = 6 <= age < 18 or (age <= 22 and p.relation == "子女" and self.rng.random() < 0.6)
        labour = _labour(p, age)
        same_name = p.relation not in ("配偶",) and not (p.relation == "父母" and p.sex == "F")
        return Member(
            id_number=self.id_number(p.born, p.sex),
            name=self.names.person(p.sex, p.born, surname if same_name else None),
            relation=p.relation,
            sex=p.sex,
            birth_date=p.born,
            labour_capacity=labour,
            health=p.health,
            disability_grade=p.disability,
            is_student=student,
            incomes=_incomes(self.rng, profile, labour, age, student),
            assets=_assets(self.rng, profile, p.relation == "户主"),
        )

    @staticmethod
    def cap_income(members: list[Member], per_capita_fen: int) -> None:
        """Scale incomes down so that per-capita income is at most `per_capita_fen`."""
        incomes = [i for m in members for i in m.incomes]
        total = sum(i.monthly_fen for i in incomes)
        limit = per_capita_fen * len(members)
        if total > limit:
            for i in incomes:
                i.monthly_fen = i.monthly_fen * limit // total // 100 * 100

    def household(self, village: OrgUnit, township_name: str, profile: str) -> Household:
        """A household of the profile in the village."""
        rng = self.rng
        surname = self.names.surname()
        members = [self.member(p, surname, profile) for p in _people(rng, profile, self.today)]
        if profile != "ordinary":
            self.cap_income(members, rng.randint(150, 450) * 100)
        bank, prefix = rng.choice(BANKS)
        return Household(
            org_unit_id=village.id,
            org_path=village.path,
            head_name=members[0].name,
            address=f"{township_name}{village.name}{rng.randint(1, 8)}组{rng.randint(1, 60)}号",
            phone=rng.choice(PHONE_PREFIXES) + "".join(rng.choices("0123456789", k=8)),
            bank_name=bank,
            bank_account=prefix + "".join(rng.choices("0123456789", k=13)),
            created_at=self.created,
            members=members,
        )


def _profiles(rng: random.Random, count: int) -> list[str]:
    """Two minor-headed, three elderly and one disabled household first, then a weighted mix."""
    fixed = ["minor", "minor", "elderly", "elderly", "elderly", "disabled"]
    names, weights = zip(*PROFILE_WEIGHTS.items(), strict=True)
    return (fixed + rng.choices(names, weights, k=count))[:count]


def _add_households(
    session: Session,
    data: DemoData,
    villages: list[tuple[OrgUnit, Township]],
    rng: random.Random,
    count: int,
    now: datetime,
    created: datetime,
) -> list[Home]:
    """`count` households spread over the villages (every village gets some when possible)."""
    maker = _HouseholdMaker(rng, data, to_local(now).date(), created)
    township_names = {u.code: u.name for u in session.scalars(select(OrgUnit))}
    placed: list[tuple[Household, Township, str, str]] = []
    for i, profile in enumerate(_profiles(rng, count)):
        village, township = villages[i] if i < len(villages) else rng.choice(villages)
        hh = maker.household(village, township_names[township.code], profile)
        session.add(hh)
        placed.append((hh, township, village.name, profile))
    session.flush()
    return [
        Home(hh.id, t.code, village, hh.head_name, len(hh.members), profile)
        for hh, t, village, profile in placed
    ]


# ---------------------------------------------------------------------------- case plans


@dataclass(frozen=True)
class CasePlan:
    """A case to create: its workflow, the state it should end in, and how to get there."""

    workflow: str
    target: str
    via: tuple[str, ...] = ()
    staff_relative: bool = False
    minor: bool = False  # take the 特困 minor route (no publicity)
    detour: bool = False  # add a loop (missing materials, objection, return) on the way


def shortest_path(
    wf: WorkflowDef, start: str, target: str, costs: dict[str, int] | None = None
) -> list[TransitionDef]:
    """Cheapest path of state-changing transitions from `start` to `target`."""
    costs = SPECIAL_COST if costs is None else costs
    heap: list[tuple[int, int, str, list[TransitionDef]]] = [(0, 0, start, [])]
    seen: set[str] = set()
    tie = 0
    while heap:
        cost, _, state, path = heapq.heappop(heap)
        if state == target:
            return path
        if state in seen:
            continue
        seen.add(state)
        for t in wf.transitions_from(state):
            if t.dest is not None and t.dest not in seen:
                tie += 1
                heapq.heappush(heap, (cost + costs.get(t.trigger, 1), tie, t.dest, [*path, t]))
    raise ValueError(f"{wf.key}: no path from {start} to {target}")


def _plan_is_valid(reg: Registry, plan: CasePlan) -> bool:
    wf = reg.workflows.get(plan.workflow)
    return wf is not None and all(s in wf.states for s in (*plan.via, plan.target))


def case_plans(
    reg: Registry, data: DemoData, rng: random.Random, households: int
) -> list[CasePlan]:
    """One case in every state of every workflow, some special routes, then the mix."""
    plans = [
        CasePlan(wf.key, state)
        for wf in reg.workflows.values()
        if wf.household_bound  # the payment roll is prepared per township, not per household
        and wf.case_type not in OWN_INTAKE  # opened by their own seeder (caseflow.seed.orphans)
        for state in wf.states
    ]
    plans += [
        CasePlan("temporary", "paid", via=("emergency_paperwork",)),
        CasePlan("temporary", "district_review", via=("emergency_response",)),
        CasePlan("dibao", "approved", via=("democratic_appraisal",)),
        CasePlan("tekun", "approved", minor=True),
        CasePlan("tekun", "district_review", minor=True),
        CasePlan("dibao", "approved", staff_relative=True),
        CasePlan("dibao", "district_review", staff_relative=True),
        CasePlan("tekun", "approved", staff_relative=True),
        CasePlan("temporary", "paid", via=("district_review",), staff_relative=True),
    ]
    mix = [m for m in data.mix if _plan_is_valid(reg, _mix_plan(m))]
    weights = [int(m["weight"]) for m in mix]
    for m in rng.choices(mix, weights, k=max(0, households - len(plans))):
        plans.append(_mix_plan(m, detour=rng.random() < 0.25))
    plans = [p for p in plans if _plan_is_valid(reg, p)]
    rng.shuffle(plans)
    return sorted(plans, key=lambda p: _WORKFLOW_ORDER.get(p.workflow, 3))


def _mix_plan(m: dict[str, Any], *, detour: bool = False) -> CasePlan:
    via = tuple(str(s) for s in m.get("via") or ())
    return CasePlan(str(m["workflow"]), str(m["target"]), via=via, detour=detour)


# ---------------------------------------------------------------------------- running cases


@dataclass(frozen=True)
class Step:
    """One fire: the transition, the state it leaves, and a fixed actor if any."""

    transition: TransitionDef
    state: str
    actor: Actor | None = None


@dataclass
class _CaseContext:
    """What payload values of one case must agree on."""

    wf: WorkflowDef
    home: Home
    triggers: frozenset[str]
    covered: int
    failed_items: list[str]
    case_id: int = 0
    aid_class: str | None = None
    cause: str | None = None
    repeat: bool = False
    requested: int | None = None  # yuan
    choices: dict[str, str] = field(default_factory=dict)
    covered_ids: list[int] = field(default_factory=list)  # 单人保: the one member covered


def _span(rule: DeadlineRule) -> timedelta:
    """A deadline rule as calendar time (working days ≈ 1.4 calendar days)."""
    if rule.unit == "working_days":
        return timedelta(days=rule.amount * 1.4)
    if rule.unit == "calendar_days":
        return timedelta(days=rule.amount)
    return timedelta(hours=rule.amount)


class _CaseSeeder:
    """Opens and walks demo cases with a moving clock, one permitted colleague per step."""

    def __init__(
        self,
        session: Session,
        reg: Registry,
        staff: Staff,
        homes: list[Home],
        data: DemoData,
        rng: random.Random,
        now: datetime,
    ) -> None:
        self.session = session
        self.reg = reg
        self.staff = staff
        self.homes = homes
        self.phrases: dict[str, Any] = data.phrases
        self.rng = rng
        self.now = now
        self.rules: RuleSet = select_ruleset(reg.rulesets, AREA_CODE, to_local(now).date())
        self.in_care: list[Home] = []
        self.in_dibao: list[Home] = []
        self.relative_count = 0

    # -- planning

    def route(self, wf: WorkflowDef, plan: CasePlan) -> list[TransitionDef]:
        """The transitions from the initial state through `via` to the target."""
        costs = dict(SPECIAL_COST)
        if plan.minor:
            costs[MINOR_TRIGGER] = 0
        path: list[TransitionDef] = []
        state = wf.initial.name
        for waypoint in (*plan.via, plan.target):
            path += shortest_path(wf, state, waypoint, costs)
            state = waypoint
        return self.with_detour(wf, path) if plan.detour and path else path

    def with_detour(self, wf: WorkflowDef, path: list[TransitionDef]) -> list[TransitionDef]:
        """Insert one loop that leaves the path and comes back to the same state."""
        i = self.rng.randrange(len(path))
        here = wf.initial.name if i == 0 else path[i - 1].dest
        assert here is not None  # paths hold only state-changing transitions
        loops: list[list[TransitionDef]] = []
        for t in wf.transitions_from(here):
            if t.dest is None or t.dest == path[i].dest or t.trigger in SPECIAL_COST:
                continue
            if wf.states[t.dest].final:
                continue
            try:
                back = shortest_path(wf, t.dest, here, {k: 10_000 for k in SPECIAL_COST})
            except ValueError:
                continue
            if not {b.trigger for b in back} & set(SPECIAL_COST):
                loops.append([t, *back])
        if not loops:
            return path
        return [*path[:i], *self.rng.choice(loops), *path[i:]]

    def pick_home(self, wf: WorkflowDef, plan: CasePlan, triggers: set[str]) -> Home:
        """A fitting household, spreading cases (and at most one application) per household."""
        application = wf.key in ("dibao", "tekun")
        pool: Sequence[Home] = []
        if MINOR_TRIGGER in triggers:
            pool = [h for h in self.homes if h.profile == "minor"]
        elif GRADUAL_TRIGGER in triggers and self.in_dibao:
            pool = self.in_dibao
        elif wf.key in ("review", "removal") and self.in_care:
            pool = self.in_care
        elif wf.key == "tekun":
            pool = [h for h in self.homes if h.profile == "elderly"]
        elif application:
            pool = [h for h in self.homes if h.profile in APPLICANT_PROFILES]
        elif wf.key == "referral":
            pool = self.homes
        pool = pool or [h for h in self.homes if h.profile != "minor"]
        if wf.key == "review":
            pool = [h for h in pool if not h.open_review] or [
                h for h in self.homes if not h.open_review and h.profile != "minor"
            ]
        # One draw per household of the pool, whichever is then left out, so the demo's other
        # draws do not move with these exclusions.
        keys = {
            h.id: (h.applications if application else 0, h.cases, self.rng.random()) for h in pool
        }
        fit = list(pool)
        needs_eligible = {t.trigger for t in wf.transitions if ELIGIBLE_GUARD in t.guards}
        if triggers & needs_eligible:  # the household's recorded car would refuse the approval
            fit = [h for h in fit if not h.disqualified]
        if not plan.staff_relative:
            # A staff member's near relative has cases of their own plans only: any other case
            # of that household needs steps the planner does not arrange (the relative steps
            # aside, the district visits), and a small demo may have nobody else to act.
            fit = [h for h in fit if not h.relative]
        return min(fit or pool, key=lambda h: keys[h.id])

    def steps(
        self, wf: WorkflowDef, path: list[TransitionDef], plan: CasePlan, home: Home
    ) -> list[Step]:
        """The fires along `path`, with home-visit signatures and district visits inserted."""
        steps: list[Step] = []
        state = wf.initial.name
        for t in path:
            if "two_investigators_signed" in t.guards:
                steps += self.signatures(wf, state, home, 2)
            needs_visit = plan.staff_relative or home.relative
            if "district_visit_if_required" in t.guards and needs_visit:
                visit = wf.transition_for(state, "record_district_visit")
                if visit is not None and not any(s.transition is visit for s in steps):
                    steps.append(Step(visit, state))
            if "assessment_recorded" in t.guards:
                steps += self.assessment(wf, state)
            steps.append(Step(t, state))
            state = t.dest or state
        if not wf.states[state].final and self.rng.random() < 0.5:
            steps += self.signatures(wf, state, home, 1)  # a visit half signed
        return steps

    def assessment(self, wf: WorkflowDef, state: str) -> list[Step]:
        """The household's means (line by line, with evidence) and the assessment (means test or
        特困 self-care) recorded before leaving verify; a means record that runs the means test
        itself needs no separate one."""
        means = wf.transition_for(state, MEANS_TRIGGER)
        steps = [Step(means, state)] if means is not None else []
        if means is not None and "record_means_test" in means.effects:
            return steps
        for trigger in ASSESSMENT_TRIGGERS:
            t = wf.transition_for(state, trigger)
            if t is not None:
                return [*steps, Step(t, state)]
        return steps

    def signatures(self, wf: WorkflowDef, state: str, home: Home, count: int) -> list[Step]:
        """Home-visit signatures by `count` different investigators of the township."""
        sign = wf.transition_for(state, "sign_home_visit")
        if sign is None:
            return []
        investigators = self.staff.township[home.township][Role.INVESTIGATOR]
        return [Step(sign, state, a) for a in self.rng.sample(investigators, count)]

    # -- the clock

    def delay(self, wf: WorkflowDef, step: Step) -> timedelta:
        """How long the case waited before this step."""
        t, state = step.transition, wf.states[step.state]
        if t.internal:
            return timedelta(hours=self.rng.uniform(0.5, 4))
        if state.deadline is None:
            return timedelta(days=self.rng.uniform(2, 12))
        span = _span(self.rules.rule(state.deadline))
        if state.on_expiry == t.trigger:  # publicity ran its full term; the timer ends it after
            return span + timedelta(days=1, hours=self.rng.uniform(1, 20))
        return span * self.rng.uniform(0.15, 0.7)

    def dwell(self, state: StateDef) -> timedelta:
        """How long the case has been in its current state (some cases overdue)."""
        rng = self.rng
        if state.final:
            return timedelta(days=rng.uniform(0.5, 120))
        if state.deadline is None:
            return timedelta(days=rng.uniform(1, 15))
        span = _span(self.rules.rule(state.deadline))
        if state.on_expiry is not None:  # still publicised: the term has not run out
            return span * rng.uniform(0.1, 0.85)
        return span * (rng.uniform(1.3, 3.0) if rng.random() < 0.25 else rng.uniform(0.05, 0.6))

    def office_hours(self, moment: datetime) -> datetime:
        """The same moment if in office hours, else an earlier working-day afternoon."""
        local = to_local(moment)
        if local.weekday() < 5 and time(8, 30) <= local.time() <= time(17, 30):
            return moment
        day = local.date() if local.time() > time(17, 30) else local.date() - timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        start = datetime.combine(day, time(15, 0), tzinfo=LOCAL_TZ)
        return start + timedelta(minutes=self.rng.randint(0, 150))

    def schedule(
        self, wf: WorkflowDef, steps: list[Step], target: str, legacy: bool
    ) -> list[datetime]:
        """Times for the opening and each step, counted back from now (index 0 = opened)."""
        times = [self.office_hours(self.now - self.dwell(wf.states[target]))]
        for step in reversed(steps):
            before = times[0] - self.delay(wf, step)
            times.insert(0, self.office_hours(before))
        if legacy and times[0] > LEGACY_WEEK + timedelta(days=4):
            weeks = (times[0] - LEGACY_WEEK).days // 7
            times = [t - timedelta(weeks=weeks) for t in times]
        return times

    # -- firing

    def run(self, plan: CasePlan) -> None:
        """Create one case and walk it to the plan's target state."""
        wf = self.reg.workflow(plan.workflow)
        path = self.route(wf, plan)
        triggers = {t.trigger for t in path}
        home = self.pick_home(wf, plan, triggers)
        steps = self.steps(wf, path, plan, home)
        times = self.schedule(wf, steps, plan.target, bool(triggers & LEGACY_TRIGGERS))
        ctx = self.context(wf, home, triggers)
        case_id = ctx.case_id = self.open(wf, plan, home, triggers, times[0])
        for step, at in zip(steps, times[1:], strict=True):
            self.fire_step(case_id, ctx, step, at)
        state = self.session.scalar(select(Case.state).where(Case.id == case_id))
        if state != plan.target:
            raise RuntimeError(f"demo case {case_id} ended in {state}, not {plan.target}")
        if not wf.states[state].final and wf.total_deadline and self.rng.random() < 0.15:
            self.extend(case_id, ctx, state, times[-1])
        home.cases += 1
        home.applications += wf.key in ("dibao", "tekun")
        home.open_review |= wf.key == "review" and not wf.states[state].final
        if plan.target == "approved" and wf.key in ("dibao", "tekun"):
            self.in_care.append(home)
            if wf.key == "dibao":
                self.in_dibao.append(home)

    def context(self, wf: WorkflowDef, home: Home, triggers: set[str]) -> _CaseContext:
        """Covered persons and the self-care assessment, drawn once per case."""
        covered = 1 if home.size == 1 else self.rng.randint(2, home.size)
        failed = self.rng.sample(SELF_CARE_ITEMS, self.rng.choice((0, 0, 1, 2, 3, 4, 6)))
        return _CaseContext(wf, home, frozenset(triggers), covered, failed)

    def open(
        self, wf: WorkflowDef, plan: CasePlan, home: Home, triggers: set[str], at: datetime
    ) -> int:
        """Open the case (declaring the staff relative first where the plan says so)."""
        if plan.staff_relative:
            self.declare_relative(home, at - timedelta(days=1))
        roles = sorted(wf.open_roles, key=lambda r: _ROLE_ORDER[r])
        if plan.staff_relative and Role.CLERK in roles:
            roles = [Role.CLERK.value]
        openers = [a for r in roles for a in self.staff.for_role(r, home.township)]
        flags = CaseFlags(
            illness=home.profile == "ill",
            disability=home.profile == "disabled",
            sudden="declare_emergency" in triggers,
            staff_relative=plan.staff_relative,
        )
        summary = self.summary(wf, home)
        case = open_case(
            self.session,
            wf.key,
            home.id,
            self.rng.choice(openers),
            at,
            flags=flags,
            summary=summary,
        )
        return case.id

    def summary(self, wf: WorkflowDef, home: Home) -> str:
        """A case summary fitting the workflow and, where the phrases say, the household."""
        options = self.phrases["summaries"].get(wf.key) or [f"{{head}}户{wf.label}"]
        if isinstance(options, dict):
            options = options.get(home.profile) or options["default"]
        return str(self.rng.choice(options)).format(head=home.head)

    def declare_relative(self, home: Home, at: datetime) -> None:
        """Register the household as a near relative of a district approver, a township leader
        or a village-committee member (单独登记备案)."""
        kind = self.relative_count % 3
        self.relative_count += 1
        home.relative = True
        actor = (
            self.staff.district[Role.DISTRICT_APPROVER][0]
            if kind == 0
            else self.staff.township[home.township][Role.TOWNSHIP_LEADER][0]
            if kind == 1
            else None
        )
        with UnitOfWork(self.session) as uow:
            user = self.session.get(User, actor.user_id) if actor else None
            self.session.add(
                RelativeDeclaration(
                    household_id=home.id,
                    staff_user_id=user.id if user else None,
                    staff_name=user.display_name if user else f"{home.village}村委会委员",
                    relation=self.rng.choice(self.phrases["relatives"]),
                    declared_at=at,
                )
            )
            uow.commit()

    def candidates(self, t: TransitionDef, state: StateDef, township: str) -> list[Actor]:
        """Actors who may fire `t`, the most fitting first (the sweep for expiries)."""

        def rank(role: str) -> tuple[int, int]:
            if role == Role.SYSTEM:
                return (0 if state.on_expiry == t.trigger else 4, 0)
            if role == PREFERRED_ROLE.get(t.trigger):
                return (1, 0)
            return (2 if role == state.owner_role else 3, _ROLE_ORDER[role])

        actors: list[Actor] = []
        for role in sorted(t.roles, key=rank):
            found = self.staff.for_role(role, township)
            actors += self.rng.sample(found, len(found))
        return actors

    def fire_step(self, case_id: int, ctx: _CaseContext, step: Step, at: datetime) -> None:
        """Fire one step with the first colleague that separation of duties allows."""
        t = step.transition
        state = ctx.wf.states[step.state]
        actors = [step.actor] if step.actor else self.candidates(t, state, ctx.home.township)
        if "income_rose_through_work" in t.guards:
            self.found_work(ctx.home)
        payload = self.payload(t, ctx, at)
        refusals: list[str] = []
        for actor in actors:
            try:
                fire(self.session, case_id, t.trigger, actor, at, payload)
                return
            except PermissionDenied as exc:  # separation of duties: a colleague steps in
                refusals.append(f"{actor.username}: {exc}")
        raise RuntimeError(f"demo case {case_id}: nobody may fire {t.trigger}: {refusals}")

    def found_work(self, home: Home) -> None:
        """The head found work: wages that lift the household over the standard (渐退期)."""
        head = self.session.scalars(
            select(Member).where(Member.household_id == home.id).order_by(Member.id).limit(1)
        ).one()
        policy = policy_table(self.session, AREA_CODE).in_force(self.now.date())
        standard = policy.dibao_standard_fen
        with UnitOfWork(self.session) as uow:
            wages = standard * home.size + self.rng.randint(100, 800) * 100
            self.session.add(MemberIncome(member_id=head.id, source="wages", monthly_fen=wages))
            uow.commit()

    def extend(self, case_id: int, ctx: _CaseContext, state: str, last: datetime) -> None:
        """Extend the total limit once, with a recorded reason (30 → 45 working days)."""
        t = ctx.wf.transition_for(state, "extend_deadline")
        if t is None:
            return
        at = last + (self.now - last) * self.rng.uniform(0.2, 0.8)
        with contextlib.suppress(GuardFailed):  # no open total limit here: nothing to extend
            self.fire_step(case_id, ctx, Step(t, state), at)

    # -- payloads

    def payload(self, t: TransitionDef, ctx: _CaseContext, at: datetime) -> dict[str, Any]:
        """Realistic values for the declared fields of `t` (optional ones where they matter)."""
        if any(f.name == "aid_class" for f in t.payload):
            self.decide_class(ctx)
        values = {f.name: self.value(t, f, ctx, at) for f in t.payload}
        return {k: v for k, v in values.items() if v is not None}

    def value(self, t: TransitionDef, f: PayloadField, ctx: _CaseContext, at: datetime) -> Any:
        """One field's value (None leaves an optional field out)."""
        if f.name in ("in_kind", "in_kind_value_fen"):
            return None  # the demo's temporary assistance is paid in cash
        day = to_local(at).date()
        if f.type == "records":
            return self.means_records(ctx, day)
        if f.type == "date":
            return day + timedelta(days=7) if f.name == "hearing_date" else day
        if f.type == "fen":
            return self.amount(t, f, ctx, day)
        if f.type == "int":
            if f.name == "months":
                policy = policy_table(self.session, AREA_CODE).in_force(day)
                return self.rng.randint(1, policy.gradual_exit_max_months)
            return ctx.covered
        if f.type == "choice":
            return self.choice(f, ctx)
        if f.type == "list":
            if f.name == "failed_items":
                return [i for i in ctx.failed_items if not f.choices or i in f.choices]
            pool = self.phrases["fields"].get(f.name) or [f.label]
            return self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3)))
        if f.type == "bool":
            return True
        if f.type == "members":
            return self.covered_members(ctx)
        if f.name == "effective_month":
            return (day.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
        if f.name == "new_grounds":  # only a repeated cause needs new grounds
            return self.text(t, f, ctx) if ctx.repeat else None
        return self.text(t, f, ctx) if f.required else None

    def text(self, t: TransitionDef, f: PayloadField, ctx: _CaseContext) -> str:
        """A phrase for the field (trigger-specific first), filled with the village name."""
        fields = self.phrases["fields"]
        options = fields.get(f"{t.trigger}.{f.name}") or fields.get(f.name)
        if not options:
            return f"{f.label}：详见附件"
        return str(self.rng.choice(options)).format(village=ctx.home.village)

    def choice(self, f: PayloadField, ctx: _CaseContext) -> str:
        """A choice consistent with the case (care level from the self-care assessment)."""
        if f.name == "care_level" and len(f.choices) == 3:
            failed = len(ctx.failed_items)
            return f.choices[0 if failed == 0 else 1 if failed <= 3 else 2]
        if f.name == "aid_class" and ctx.aid_class in f.choices:
            return ctx.aid_class
        if f.name == "aid_form":
            return "现金"
        if f.name == "cause":
            return self.cause(f, ctx)
        # The same answer each time a case is asked (e.g. 急难型 at declaration and paperwork).
        return ctx.choices.setdefault(f.name, self.rng.choice(f.choices))

    def cause(self, f: PayloadField, ctx: _CaseContext) -> str:
        """One cause per case; a cause the household had before is marked as repeated."""
        if ctx.cause is None:
            large = [c for c in LARGE_CAUSES if c in f.choices]
            if "refer_to_district" in ctx.triggers and large:
                ctx.cause = self.rng.choice(large)
            else:
                fresh = [c for c in f.choices if c not in ctx.home.causes]
                ctx.cause = self.rng.choice(fresh or list(f.choices))
            ctx.repeat = ctx.cause in ctx.home.causes
            ctx.home.causes.add(ctx.cause)
        return ctx.cause

    def decide_class(self, ctx: _CaseContext) -> None:
        """Class and covered persons: the assessment's suggestion, A covering the household."""
        row = self.latest_assessment(ctx.case_id)
        size = ctx.home.size
        cls = row.aid_class if row is not None and row.aid_class else self.rng.choice("ABC")
        ctx.aid_class = cls
        ctx.covered = size if cls == "A" or size == 1 else self.rng.randint(2, size)
        alone = row.result.get("single_person_candidates") if row is not None else None
        if alone:  # 单人保: the one member the means test admits alone
            ctx.covered_ids, ctx.covered = [int(alone[0])], 1

    def covered_members(self, ctx: _CaseContext) -> list[int]:
        """The covered persons as members: the head first, then the others in age order."""
        members = self.session.scalars(
            select(Member).where(Member.household_id == ctx.home.id).order_by(Member.id)
        ).all()
        return ctx.covered_ids or [m.id for m in members][: ctx.covered]

    def means_records(self, ctx: _CaseContext, day: date) -> list[dict[str, Any]]:
        """The home visit's lines (caseflow.seed.means): a refused 低保 case gets the car that
        excludes it; about half the 因病 households approved get earnings that make them
        低保边缘 households with the ill member covered alone (单人保)."""
        household = self.session.get(Household, ctx.home.id, populate_existing=True)
        assert household is not None
        dibao = ctx.wf.key == "dibao"
        # The car makes the household ineligible: only where nothing on the case's route needs
        # it eligible (a detour through 偏离 proposed and rejected still passes the means test).
        needs_eligible = {t.trigger for t in ctx.wf.transitions if ELIGIBLE_GUARD in t.guards}
        refuse = dibao and "refuse" in ctx.triggers and not ctx.triggers & needs_eligible
        if refuse:
            ctx.home.disqualified = True
        edge = dibao and ctx.home.profile == "ill" and "approve" in ctx.triggers
        config = policy_table(self.session, AREA_CODE).in_force(day)
        standard = config.dibao_standard_fen
        # Only where a member may be covered alone (重病 / 重残 grounds): otherwise the earnings
        # would make the household plainly ineligible for an approval on its route. Judged after
        # the draw, so the demo's other draws stay as they were.
        drawn = edge and not refuse and self.rng.random() < 0.5
        chosen = drawn and _may_cover_one_alone(household, config)
        return demo_records(
            household, self.rng, day, refuse=refuse, edge_standard_fen=standard if chosen else None
        )

    def latest_assessment(self, case_id: int) -> Assessment | None:
        """The newest assessment recorded on the case."""
        return self.session.scalars(
            select(Assessment).where(Assessment.case_id == case_id).order_by(Assessment.id.desc())
        ).first()

    def amount(self, t: TransitionDef, f: PayloadField, ctx: _CaseContext, day: date) -> int:
        """Amounts in fen (whole yuan): decisions stay within the assessed cap."""
        rng = self.rng
        if t.trigger in DECISION_TRIGGERS:
            decided = self.assessed_amount(ctx, day, township=t.trigger == "township_approve")
            if decided is not None:
                return decided
        if t.trigger == "grant_advance_aid":  # within the advance's cap (先行救助)
            policy = policy_table(self.session, AREA_CODE).in_force(day)
            cap = advance_cap_fen(policy, ctx.home.size) // 100
            return rng.randint(min(300, cap), cap) * 100
        if t.trigger in ("submit_investigation", "complete_paperwork", "refer_to_district"):
            if ctx.requested is None:
                district = "refer_to_district" in ctx.triggers
                ctx.requested = rng.randint(2100, 3200) if district else rng.randint(300, 1900)
            return ctx.requested * 100
        if ctx.wf.key == "tekun":
            return rng.randint(900, 1600) * 100
        if ctx.wf.key == "temporary":
            return rng.randint(500, 2000) * 100
        return rng.randint(150, 450) * 100 * ctx.covered

    def assessed_amount(self, ctx: _CaseContext, day: date, *, township: bool) -> int | None:
        """The assessed amount, within its cap (and the township's ceiling where it decides)."""
        row = self.latest_assessment(ctx.case_id)
        if row is None:
            return None
        cap = int(row.result.get("cap_fen") or row.amount_fen or 0)
        amount = min(int(row.amount_fen if row.amount_fen is not None else cap), cap)
        if township:
            policy = policy_table(self.session, AREA_CODE).in_force(day)
            amount = min(amount, policy.temporary.township_ceiling_fen)
        return amount // 100 * 100


# ---------------------------------------------------------------------------- summary


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def overdue_cases(session: Session, now: datetime) -> int:
    """Open cases with at least one open deadline already past due."""
    return _count(
        session,
        select(func.count(func.distinct(Deadline.case_id))).where(
            Deadline.closed_at.is_(None), Deadline.due_at < now
        ),
    )


def _org_lines(session: Session) -> list[str]:
    stmt = select(OrgUnit.level, func.count()).group_by(OrgUnit.level)
    levels = {level: n for level, n in session.execute(stmt)}
    return [
        f"组织机构：区 {levels.get('district', 0)} 个，乡镇 {levels.get('township', 0)} 个，"
        f"村 {levels.get('village', 0)} 个"
    ]


def _user_lines(session: Session) -> list[str]:
    stmt = select(UserRole.role, func.count()).group_by(UserRole.role)
    rows = {role: n for role, n in session.execute(stmt)}
    parts = [f"{ROLE_LABELS[r]} {rows[r.value]}" for r in Role if rows.get(r.value)]
    total = _count(session, select(func.count()).select_from(User))
    return [f"工作人员：共 {total} 人（{'，'.join(parts)}）"]


def _case_lines(session: Session, now: datetime, reg: Registry) -> list[str]:
    counts: Counter[tuple[str, str]] = Counter()
    for key, state, n in session.execute(
        select(Case.workflow_key, Case.state, func.count()).group_by(Case.workflow_key, Case.state)
    ):
        counts[(key, state)] = n
    total = sum(counts.values())
    lines = [f"案件：共 {total} 件，其中逾期未办 {overdue_cases(session, now)} 件"]
    order = [*SUMMARY_ORDER, *sorted(reg.workflows)]
    for wf in (reg.workflows[k] for k in dict.fromkeys(order) if k in reg.workflows):
        per_state = [(s.label, counts[(wf.key, s.name)]) for s in wf.states.values()]
        n = sum(c for _, c in per_state)
        detail = "，".join(f"{label} {c}" for label, c in per_state)
        lines.append(f"  {wf.label}（{wf.key}）{n} 件：{detail}")
    return lines


def _login_lines(data: DemoData, session: Session) -> list[str]:
    names = {u.code: u.name for u in session.scalars(select(OrgUnit))}
    district = "、".join(f"{name}（{ROLE_LABELS[role]}）" for name, role in DISTRICT_ACCOUNTS)
    township = "、".join(f"<前缀>_{s}（{ROLE_LABELS[role]}）" for s, role in TOWNSHIP_ACCOUNTS)
    prefixes = "、".join(f"{t.slug}＝{names.get(t.code, t.code)}" for t in data.townships)
    from caseflow.seed.institutions import INSTITUTION_ACCOUNT

    institution = f"{INSTITUTION_ACCOUNT[0]}（滨河镇敬老院，{ROLE_LABELS[Role.INSTITUTION_STAFF]}）"
    return [
        f"登录：所有演示账号的密码均为 {DEMO_PASSWORD}",
        f"  区级账号：{district}",
        f"  乡镇账号：{township}",
        f"  乡镇前缀：{prefixes}（例如 binhe_clerk）",
        f"  供养机构账号：{institution}",
    ]


def demo_summary(session: Session, now: datetime, data: DemoData | None = None) -> str:
    """Counts of org units, staff, households, members and cases; the login hint."""
    data = data or load_demo_data()
    households = _count(session, select(func.count()).select_from(Household))
    members = _count(session, select(func.count()).select_from(Member))
    lines = [
        f"沙坡头区演示数据（虚构，随机种子 {RANDOM_SEED}，可重复生成）",
        *_org_lines(session),
        *_user_lines(session),
        f"家庭：{households} 户，家庭成员 {members} 人",
        *_case_lines(session, now, registry()),
        *_login_lines(data, session),
    ]
    return "\n".join(lines)
