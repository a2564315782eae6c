"""The demo's supervision: the district's spot-check draw (30 %, a recorded seed) with one
sampled case found correct and one whose amount was wrong, sent to a review, its overpayment
recovered (decided, partly repaid, the rest withheld from the next rolls where the rule set
allows it); and a complaint at
a township's window about a 低保 case waiting for the district, which now needs the district's
own home visit before it can be approved. Everything through the core functions and fire."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, OrgUnit
from caseflow.engine.fire import fire
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, PermissionDenied
from caseflow.kernel.money import format_yuan
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import to_local
from caseflow.oversight.complaints import receive_complaint
from caseflow.oversight.models import SpotCheck
from caseflow.oversight.recovery import propose_recovery, recovery_of
from caseflow.oversight.spot_checks import draw_spot_checks
from caseflow.payments.entitlements import amount_in, versions_of
from caseflow.payments.months import add_months
from caseflow.seed.institutions import _actor, _actors

DEMO_SEED = 20261120  # the demo's draw can be redone with this seed


def seed_oversight(session: Session, now: datetime) -> int:
    """Draw, check two sampled cases, register a complaint; returns the spot checks drawn."""
    district = session.scalar(select(OrgUnit).where(OrgUnit.level == "district"))
    supervisor = _actor(session, Role.SUPERVISOR, district.path) if district else None
    if supervisor is None:
        return 0
    drawn_at = now - timedelta(days=10)
    try:
        draw = draw_spot_checks(session, supervisor, "30", str(DEMO_SEED), drawn_at)
    except CaseflowError:
        return 0  # nothing in payment to sample
    sampled = session.execute(
        select(SpotCheck.case_id, SpotCheck.subject_case_id)
        .where(SpotCheck.draw_id == draw.id)
        .order_by(SpotCheck.reason != "random", SpotCheck.id)
    ).all()
    # The problem is found on a case already paid in the month of the visit, so the demo's
    # recovery has overpaid months to recover (a case approved this month has none yet).
    visit_month = to_local(drawn_at + timedelta(days=2)).strftime("%Y-%m")
    paid_then = {
        subject: amount_in(versions, visit_month) > 0
        for subject, versions in versions_of(session, [s for _, s in sampled]).items()
    }
    spots = [
        case_id
        for case_id, subject in sorted(sampled, key=lambda r: not paid_then.get(r[1], False))
    ]
    steps = (
        ("record_problem", {"finding": "保障金额有误", "detail": "子女务工收入未计入"}),
        ("confirm_correct", {"note": "家庭情况与申报一致"}),
    )
    for i, (case_id, (trigger, payload)) in enumerate(zip(spots, steps, strict=False)):
        at = drawn_at + timedelta(days=2 + i, hours=1)
        visit = {"visit_date": at.date().isoformat(), "findings": "区级入户核查，已拍照留存"}
        fire(session, case_id, "sign_home_visit", supervisor, at, visit)
        fire(session, case_id, trigger, supervisor, at + timedelta(minutes=30), payload)
        if trigger == "record_problem":
            reason = {"reason": "按实际收入重新核定保障金额"}
            fire(session, case_id, "refer_review", supervisor, at + timedelta(hours=1), reason)
            _recovery(session, case_id, supervisor, at + timedelta(hours=2))
    _complaint(session, now)
    return len(spots)


def _recovery(session: Session, spot_case_id: int, supervisor: Actor, at: datetime) -> None:
    """The wrong amount found: 50 yuan a month overpaid (up to the last three months), decided by
    the district and partly repaid (the balance shows on /recoveries)."""
    spot = session.scalar(select(SpotCheck).where(SpotCheck.case_id == spot_case_id))
    source = session.get(Case, spot.subject_case_id) if spot is not None else None
    district = session.scalar(select(OrgUnit).where(OrgUnit.level == "district"))
    approvers = _actors(session, Role.DISTRICT_APPROVER, district.path) if district else []
    if source is None or not approvers:
        return
    last = to_local(at).strftime("%Y-%m")
    versions = versions_of(session, [source.id])[source.id]
    paid = amount_in(versions, last)
    first = max(add_months(last, -2), min((v.effective_month for v in versions), default=last))
    form = {
        "case_no": source.case_no,
        "from_month": first,
        "to_month": last,
        "due_monthly": format_yuan(max(paid - 5000, 0)),
        "cause": "error",
    }
    try:
        case = propose_recovery(session, supervisor, form, at)
    except CaseflowError:
        return  # nothing paid yet in those months
    row = recovery_of(session, case.id)
    decision = {"amount_fen": row.overpaid_fen, "reasons": "抽查发现务工收入未计入，多发部分追回"}
    for approver in approvers:  # a declared near relative of the household steps aside
        try:
            fire(session, case.id, "decide_recovery", approver, at + timedelta(hours=1), decision)
            break
        except PermissionDenied:
            continue
    else:
        return  # every approver is a near relative: the decision waits
    repayment = {
        "amount_fen": min(5000, row.overpaid_fen),
        "paid_on": to_local(at).date().isoformat(),
    }
    fire(session, case.id, "record_repayment", approver, at + timedelta(hours=2), repayment)
    # The rest is withheld from the household's next rolls: the district example allows it
    # (recovery_roll_deduction_allowed, 待核实); a rule set that does not leaves it to repayments.
    deduction = {"reasons": "余额从以后月份的保障金中按月扣减"}
    with suppress(CaseflowError):
        fire(session, case.id, "start_roll_deduction", approver, at + timedelta(hours=3), deduction)


def _complaint(session: Session, now: datetime) -> None:
    """A complaint at the window about a 低保 case the district has still to decide."""
    waiting = session.scalar(
        select(Case)
        .where(Case.workflow_key == "dibao", Case.state == "district_review")
        .order_by(Case.id)
        .limit(1)
    )
    clerk = _actor(session, Role.CLERK, waiting.org_path) if waiting is not None else None
    if waiting is None or clerk is None:
        return
    form = {
        "case_no": waiting.case_no,
        "channel": "desk",
        "complainant": "村民（匿名）",
        "content": "反映该户家中有营运车辆未申报",
    }
    receive_complaint(session, clerk, form, now - timedelta(days=1))
