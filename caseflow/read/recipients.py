"""Who is in payment: the 低保 / 特困 entitlement version in force per case, as rows for the
routine reports and the standing publicity.

One query per month: every version of the cases in the actor's reach (jurisdiction in SQL, on
the case's org path as the roll uses it) ranked per case by (effective month, sequence), the
top one kept when it is not a stop — the same rule as `payments.entitlements.in_force`, done by
the database so no case's history is loaded into Python.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, Household, Member, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.payments.models import STOP, Entitlement

PROGRAMMES = ("dibao", "tekun")
PROGRAMME_LABELS = {"dibao": "低保", "tekun": "特困"}


@dataclass(frozen=True)
class InPayment:
    """One case's terms in force: who, where, class, persons covered and the monthly amount."""

    case_id: int
    case_no: str
    case_state: str
    programme: str
    household_id: int
    head_name: str
    org_path: str  # the case's place (a village, else a township)
    aid_class: str  # A | B | C for 低保, "" for 特困
    care_level: str
    covered: int
    household_size: int
    amount_fen: int
    effective_month: str
    kind: str

    @property
    def township_code(self) -> str:
        """The township's code, from the org path /district/township/…/."""
        parts = self.org_path.strip("/").split("/")
        return parts[1] if len(parts) > 1 else parts[0]

    @property
    def village_code(self) -> str:
        """The village's code, "" for a case filed at a township."""
        parts = self.org_path.strip("/").split("/")
        return parts[2] if len(parts) > 2 else ""


def in_payment(
    session: Session,
    scope: Actor | str,
    month: str | None,
    *,
    programmes: Collection[str] = PROGRAMMES,
) -> list[InPayment]:
    """Cases in `scope` whose version in force in `month` pays (not a stop), ordered by place
    and case number. `month` None: the newest version whatever its month (terms as decided,
    also for a case whose payment starts next month)."""
    order = (Entitlement.effective_month.desc(), Entitlement.seq.desc())
    rank = func.row_number().over(partition_by=Entitlement.case_id, order_by=order)
    ranked = (
        select(Entitlement.id.label("id"), rank.label("rank"))
        .join(Case, Case.id == Entitlement.case_id)
        .where(in_jurisdiction(Case.org_path, scope), Entitlement.programme.in_(tuple(programmes)))
    )
    if month is not None:
        ranked = ranked.where(Entitlement.effective_month <= month)
    top = ranked.subquery()
    size = (
        select(func.count(Member.id))
        .where(Member.household_id == Entitlement.household_id, Member.left_on.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Entitlement, Case.case_no, Case.state, Case.org_path, Household.head_name, size)
        .join(top, top.c.id == Entitlement.id)
        .join(Case, Case.id == Entitlement.case_id)
        .join(Household, Household.id == Entitlement.household_id)
        .where(top.c.rank == 1, Entitlement.kind != STOP)
        .order_by(Case.org_path, Case.case_no)
    ).all()
    found = []
    for version, case_no, state, path, head, n in rows:
        covered = len(version.covered_member_ids) or int(
            version.basis.get("covered_persons") or n or 0
        )
        found.append(
            InPayment(
                case_id=version.case_id,
                case_no=case_no,
                case_state=state,
                programme=version.programme,
                household_id=version.household_id,
                head_name=head,
                org_path=path,
                aid_class=version.aid_class or "",
                care_level=version.care_level or "",
                covered=covered,
                household_size=int(n or 0),
                amount_fen=version.amount_fen,
                effective_month=version.effective_month,
                kind=version.kind,
            )
        )
    return found


def place_names(session: Session, scope: Actor | str) -> dict[str, str]:
    """Code → name of every org unit in `scope` (a district has a few hundred)."""
    stmt = select(OrgUnit.code, OrgUnit.name).where(in_jurisdiction(OrgUnit.path, scope))
    return {code: name for code, name in session.execute(stmt)}
