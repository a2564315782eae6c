"""Preparing a township's monthly roll (a case of the `roll` workflow) and reading it back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from caseflow.clock import deadlines
from caseflow.db.engine import is_postgres
from caseflow.db.models import Case, Household, Member, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import create_unit_case
from caseflow.engine.uow import UnitOfWork
from caseflow.institutions.models import Institution
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.payments.entitlement import Line, lines_for
from caseflow.payments.models import KIND_LABELS, PaymentRoll, RollRow
from caseflow.payments.months import month_label, parse_month
from caseflow.payments.queries import roll_totals
from caseflow.payments.risk import run_checks
from caseflow.payments.withholding import record_withheld, withheld_lines
from caseflow.workflow.registry import Registry, registry
from caseflow.workflow.rulesets import select_ruleset

ROLL_WORKFLOW = "roll"
INSERT_CHUNK = 10_000
_KIND_ORDER = {k: i for i, k in enumerate(KIND_LABELS)}


def _township(session: Session, actor: Actor, code: str) -> OrgUnit:
    unit = session.scalar(
        select(OrgUnit).where(
            OrgUnit.code == code.strip()[:20],
            OrgUnit.level == "township",
            in_jurisdiction(OrgUnit.path, actor),
        )
    )
    if unit is None:
        raise PayloadInvalid({"township": "乡镇不存在或不在您的管辖范围内"})
    return unit


def lock_township(session: Session, township: OrgUnit) -> None:
    """Serialise preparers of one township, so that a month never gets two live rolls."""
    stmt = select(OrgUnit.id).where(OrgUnit.id == township.id)
    if is_postgres(session):
        session.execute(stmt.with_for_update())
    else:  # SQLite: a no-op write takes the database's write lock now
        session.execute(update(OrgUnit).where(OrgUnit.id == township.id).values(code=OrgUnit.code))


def live_roll(session: Session, township_id: int, month: str) -> PaymentRoll | None:
    """The township's regular roll for `month` that is not cancelled, if any."""
    return session.scalar(
        select(PaymentRoll)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(
            PaymentRoll.township_id == township_id,
            PaymentRoll.month == month,
            PaymentRoll.supplement_no == 0,
            Case.state != "cancelled",
        )
    )


def _payees(session: Session, path: str) -> dict[int, tuple[str, str, str]]:
    """Household → (payee name, ID number, bank account): the head of household (户主)."""
    rows = session.execute(
        select(Household.id, Household.head_name, Household.bank_account, Member.name)
        .add_columns(Member.id_number)
        .outerjoin(
            Member,
            (Member.household_id == Household.id)
            & (Member.relation == "户主")
            & Member.left_on.is_(None),
        )
        .where(in_jurisdiction(Household.org_path, path))
    ).all()
    return {hid: (name or head, idn or "", acc or "") for hid, head, acc, name, idn in rows}


def _institution_payees(session: Session, lines: list[Line]) -> dict[int, tuple[str, str]]:
    """Institution → (account name, account) for the lines paid to one (集中供养)."""
    ids = {ln.institution_id for ln in lines if ln.institution_id is not None}
    if not ids:
        return {}
    rows = session.execute(
        select(Institution.id, Institution.account_name, Institution.name)
        .add_columns(Institution.bank_account)
        .where(Institution.id.in_(ids))
    ).all()
    return {iid: (account_name or name, account) for iid, account_name, name, account in rows}


def _payee_of(
    line: Line,
    households: dict[int, tuple[str, str, str]],
    institutions: dict[int, tuple[str, str]],
) -> tuple[str, str, str]:
    """The household's head, or — for a resident in centralised care — the institution's
    account (the resident's ID number stays on the row: it says whom the money is for)."""
    payee = households.get(line.household_id, ("", "", ""))
    if line.institution_id is None or line.institution_id not in institutions:
        return payee
    name, account = institutions[line.institution_id]
    return name, payee[1], account


def _row(roll_id: int, line: Line, payee: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "roll_id": roll_id,
        "household_id": line.household_id,
        "case_id": line.case_id,
        "case_type": line.case_type,
        "kind": line.kind,
        "for_month": line.for_month,
        "amount_fen": line.amount_fen,
        "payee_name": payee[0][:100],
        "id_number": payee[1],
        "bank_account": payee[2],
        "pay_by_bank": line.pay_by_bank,
        "adjustment_id": line.adjustment_id,
        "institution_id": line.institution_id,
        "note": line.note,
        "removed_reason": "",
    }


def township_and_month(
    session: Session, actor: Actor, township_code: str, month_text: str, reg: Registry
) -> tuple[str, OrgUnit]:
    """Who may prepare and which month (checked before any read), then the township inside
    the actor's jurisdiction, locked against a concurrent preparer (inside the unit of work)."""
    if not reg.workflow(ROLL_WORKFLOW).open_roles & actor.roles or actor.user_id is None:
        raise PermissionDenied("您的角色无权编制发放名册")
    month = parse_month(month_text)
    if month is None:
        raise PayloadInvalid({"month": "月份格式应为 YYYY-MM，例如 2026-12"})
    return month, _township(session, actor, township_code)


def open_roll(
    session: Session,
    reg: Registry,
    township: OrgUnit,
    actor: Actor,
    now: datetime,
    month: str,
    supplement_no: int,
    lines: list[Line],
) -> PaymentRoll:
    """The roll case, the roll with its rows, totals and risk findings (caller commits)."""
    title = f"{township.name}{month_label(month)}" + (
        f"第{supplement_no}次补发名单" if supplement_no else "发放名册"
    )
    payload: dict[str, Any] = {"township": township.code, "month": month}
    if supplement_no:
        payload["supplement_no"] = supplement_no
    wf = reg.workflow(ROLL_WORKFLOW)
    case = create_unit_case(session, reg, wf, township, actor, now, title, payload)
    roll = PaymentRoll(
        case_id=case.id,
        township_id=township.id,
        org_path=township.path,
        month=month,
        supplement_no=supplement_no,
        total_fen=0,
        row_count=0,
        prepared_at=now,
        prepared_by_id=actor.user_id,
    )
    session.add(roll)
    session.flush()
    payees = _payees(session, township.path)
    places = _institution_payees(session, lines)
    lines.sort(key=lambda ln: (ln.household_id, _KIND_ORDER[ln.kind], ln.for_month))
    for start in range(0, len(lines), INSERT_CHUNK):  # bounded memory for large townships
        session.execute(
            insert(RollRow),
            [
                _row(roll.id, ln, _payee_of(ln, payees, places))
                for ln in lines[start : start + INSERT_CHUNK]
            ],
        )
    totals = roll_totals(session, roll.id)
    roll.total_fen, roll.row_count = totals.total_fen, totals.rows
    run_checks(session, roll, reg.rulesets)
    session.flush()
    deadlines.refresh_case_clock(session, case.id)
    return roll


def lookback_months(reg: Registry, township: OrgUnit, now: datetime) -> int:
    """How many months back an unpaid temporary-assistance approval is still put on a roll."""
    ruleset = select_ruleset(reg.rulesets, township.code, to_local(now).date())
    return int(ruleset.params.get("payment_one_off_lookback_months", 3))


def prepare_roll(
    session: Session,
    actor: Actor,
    township_code: str,
    month_text: str,
    now: datetime,
    *,
    reg: Registry | None = None,
) -> PaymentRoll:
    """Open the roll case for a township and month, compute its rows and risk findings: one
    unit of work."""
    require_aware(now, "now")
    reg = reg or registry()
    with UnitOfWork(session) as uow:
        month, township = township_and_month(session, actor, township_code, month_text, reg)
        lock_township(session, township)
        existing = live_roll(session, township.id, month)
        if existing is not None:
            label = f"{township.name}{month_label(month)}"
            done = f"{label}的发放名册已编制"
            raise PayloadInvalid(
                {"month": f"{done}；之后批准的案件请编制补发名单，更正请用以后月份的调整"}
            )
        lookback = lookback_months(reg, township, now)
        lines = lines_for(session, township.path, township.id, month, reg.rulesets, lookback)
        lines += withheld_lines(session, reg, township, month, lines)
        roll = open_roll(session, reg, township, actor, now, month, 0, lines)
        record_withheld(session, reg, roll, now)
        uow.commit()
    return roll


def load_roll(session: Session, actor: Actor, roll_id: int) -> tuple[PaymentRoll, Case]:
    """The roll and its case, inside the actor's jurisdiction (in SQL), else CaseNotFound."""
    if not 0 < roll_id < 2**63:
        raise CaseNotFound()
    found = session.execute(
        select(PaymentRoll, Case)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(
            PaymentRoll.id == roll_id,
            in_jurisdiction(Case.org_path, actor),
        )
    ).first()
    if found is None:
        raise CaseNotFound("名册不存在或不在您的管辖范围内")
    return found[0], found[1]


def list_rolls(
    session: Session, actor: Actor, limit: int = 100
) -> list[tuple[PaymentRoll, Case, str]]:
    """Rolls in the actor's jurisdiction, newest month first, with the township's name."""
    rows = session.execute(
        select(PaymentRoll, Case, OrgUnit.name)
        .join(Case, Case.id == PaymentRoll.case_id)
        .join(OrgUnit, OrgUnit.id == PaymentRoll.township_id)
        .where(in_jurisdiction(Case.org_path, actor))
        .order_by(PaymentRoll.month.desc(), OrgUnit.code, PaymentRoll.id.desc())
        .limit(limit)
    ).all()
    return [(r, c, name) for r, c, name in rows]


def townships(session: Session, actor: Actor) -> list[OrgUnit]:
    """Townships the actor may prepare rolls for."""
    return list(
        session.scalars(
            select(OrgUnit)
            .where(
                OrgUnit.level == "township",
                in_jurisdiction(OrgUnit.path, actor),
            )
            .order_by(OrgUnit.code)
        )
    )
