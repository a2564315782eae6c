"""The orphan list (孤儿 / 事实无人抚养儿童 名册): every orphan case in the actor's reach with the
child, the category and care setting the window accepted, the guardian, the case's state, the
monthly allowance of its newest entitlement and the day the child turns 18.

Jurisdiction, the township, the category and the state are conditions of one SQL query (the
child is read from the open event's payload, joined to the member). The child's and the
guardian's names are masked for roles that do not work on these cases; ID numbers are always
masked here (the case page reveals them, logged, to roles that need them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from caseflow.casework.orphans import majority_day
from caseflow.db.models import Case, CaseEvent, Member, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound
from caseflow.kernel.idnumber import mask_id_number
from caseflow.kernel.names import mask_name
from caseflow.kernel.roles import Role
from caseflow.payments.models import STOP, Entitlement
from caseflow.payments.months import add_months
from caseflow.policy.orphans import CATEGORY_ZH, SETTING_ZH
from caseflow.workflow.loader import OPEN_TRIGGER
from caseflow.workflow.registry import registry

# Who reads the list: the township's window, reviewers and leaders (their own township) and the
# district (approves, pays, supervises).
VIEW_ROLES: frozenset[str] = frozenset(
    r.value
    for r in (
        Role.CLERK,
        Role.TOWNSHIP_REVIEWER,
        Role.TOWNSHIP_LEADER,
        Role.DISTRICT_APPROVER,
        Role.DISTRICT_FINANCE,
        Role.SUPERVISOR,
    )
)
# Who needs the children's and guardians' names: those who act on the orphan workflow (window,
# township review, district decision) and the district's finance, who pays the allowance. A
# leader or supervisor follows the figures: names masked (kernel.names.mask_name).
NAME_ROLES: frozenset[str] = frozenset(
    r.value
    for r in (Role.CLERK, Role.TOWNSHIP_REVIEWER, Role.DISTRICT_APPROVER, Role.DISTRICT_FINANCE)
)
SOON_MONTHS = 3  # children turning 18 within this many months are highlighted


@dataclass(frozen=True)
class OrphanRow:
    case_id: int
    case_no: str
    township: str
    village: str
    child_name: str
    child_id_number: str  # masked
    category: str  # 孤儿 | 事实无人抚养儿童
    setting: str  # 集中养育 | 社会散居
    guardian: str
    guardian_relation: str
    state: str
    state_label: str
    allowance_fen: int | None  # the newest entitlement's monthly amount; None: none granted
    allowance_from: str  # the month it is paid from (YYYY-MM), or "" when none / stopped
    turns_18_on: date
    in_care: bool

    def turns_18_soon(self, today: date) -> bool:
        """A child in care who turns 18 within SOON_MONTHS months of `today` (or already has)."""
        limit = _add_months_day(today, SOON_MONTHS)
        return self.in_care and self.turns_18_on <= limit


def _add_months_day(day: date, months: int) -> date:
    month = add_months(f"{day.year:04d}-{day.month:02d}", months)
    year, mon = int(month[:4]), int(month[5:])
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, mon, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class OrphanFilters:
    township: str = ""  # a township code in reach, or "" for all
    category: str = ""  # orphan | de_facto_unsupported | ""
    state: str = ""  # a state of workflows/orphan.yaml, or ""


def state_labels() -> dict[str, str]:
    """State → Chinese label of the orphan workflow, in the workflow's order."""
    return {key: s.label for key, s in registry().workflow("orphan").states.items()}


def township_path(session: Session, actor: Actor, code: str) -> str:
    """The org path of a township in the actor's reach (CaseNotFound when it is not)."""
    path = session.scalar(
        select(OrgUnit.path).where(
            OrgUnit.code == code, OrgUnit.level == "township", in_jurisdiction(OrgUnit.path, actor)
        )
    )
    if path is None:
        raise CaseNotFound("乡镇不存在或不在您的管辖范围内")
    return str(path)


def orphan_rows(session: Session, actor: Actor, filters: OrphanFilters) -> list[OrphanRow]:
    """The orphan cases in reach that match `filters`: children in care first, each group by
    the day the child turns 18."""
    child_id = CaseEvent.payload["child_member_id"].as_integer()
    stmt = (
        select(Case.id, Case.case_no, Case.state, Case.org_path, CaseEvent.payload, Member)
        .join(CaseEvent, and_(CaseEvent.case_id == Case.id, CaseEvent.trigger == OPEN_TRIGGER))
        .join(Member, Member.id == child_id)
        .where(Case.case_type == "orphan", in_jurisdiction(Case.org_path, actor))
    )
    if filters.township:
        stmt = stmt.where(
            in_jurisdiction(Case.org_path, township_path(session, actor, filters.township))
        )
    if filters.category:
        stmt = stmt.where(CaseEvent.payload["category"].as_string() == filters.category)
    if filters.state:
        stmt = stmt.where(Case.state == filters.state)
    found = session.execute(stmt).all()
    newest = _newest_entitlements(session, [r.id for r in found])
    names = dict(
        session.execute(
            select(OrgUnit.code, OrgUnit.name).where(in_jurisdiction(OrgUnit.path, actor))
        ).all()
    )
    full_names = bool(actor.roles & NAME_ROLES)
    labels = state_labels()
    rows = [_row(r, newest.get(r.id), names, full_names, labels) for r in found]
    return sorted(rows, key=lambda o: (not o.in_care, o.turns_18_on, o.case_no))


def _newest_entitlements(session: Session, case_ids: list[int]) -> dict[int, Entitlement]:
    if not case_ids:
        return {}
    newest: dict[int, Entitlement] = {}
    for version in session.scalars(
        select(Entitlement).where(Entitlement.case_id.in_(case_ids)).order_by(Entitlement.seq)
    ):
        newest[version.case_id] = version
    return newest


def _row(
    r: Any,
    version: Entitlement | None,
    names: dict[str, str],
    full_names: bool,
    labels: dict[str, str],
) -> OrphanRow:
    payload: dict[str, Any] = dict(r.payload or {})
    child: Member = r.Member
    codes = r.org_path.strip("/").split("/")
    township = names.get(codes[1], codes[1]) if len(codes) > 1 else ""
    village = names.get(codes[2], codes[2]) if len(codes) > 2 else ""
    guardian = str(payload.get("guardian_name", ""))
    stopped = version is not None and version.kind == STOP
    return OrphanRow(
        case_id=r.id,
        case_no=r.case_no,
        township=township,
        village=village,
        child_name=child.name if full_names else mask_name(child.name),
        child_id_number=mask_id_number(child.id_number),
        category=CATEGORY_ZH.get(str(payload.get("category", "")), ""),
        setting=SETTING_ZH.get(str(payload.get("setting", "")), ""),
        guardian=guardian if full_names else mask_name(guardian),
        guardian_relation=str(payload.get("guardian_relation", "")),
        state=r.state,
        state_label=labels.get(r.state, r.state),
        allowance_fen=None if version is None else (0 if stopped else version.amount_fen),
        allowance_from="" if version is None or stopped else version.effective_month,
        turns_18_on=majority_day(child.birth_date),
        in_care=r.state == "approved",
    )
