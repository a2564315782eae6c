"""What a township pays in a month, derived from the cases as they are stored.

低保 / 特困: an approved case pays from the month after approval (Asia/Shanghai calendar), the
amount of its `approve` event or a later amount change (提标, review). A removal decision stops
payment from the month after it takes effect (or a later 停发月份 in the decision); a gradual exit
(渐退期) pays on for the months the decision grants, capped by the rule set. Temporary assistance
is paid once: the emergency advance (先行救助, already paid by the township, listed for the record)
and the approved amount less that advance. Pending adjustments ride along.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, CaseEvent
from caseflow.db.scope import in_jurisdiction
from caseflow.payments.models import (
    ADJUSTMENT,
    ADVANCE,
    GRADUAL,
    MONTHLY,
    ONE_OFF,
    PaymentAdjustment,
    PaymentAmountChange,
    PaymentRoll,
    RollRow,
)
from caseflow.payments.months import add_months, month_of, parse_month
from caseflow.workflow.rulesets import RuleSet

ONGOING_TYPES = ("dibao", "tekun")
EXIT_TRIGGERS = ("approve_removal", "approve_gradual_exit", "end_gradual_exit")
ONE_OFF_TRIGGERS = ("grant_advance_aid", "township_approve", "district_approve")


@dataclass(frozen=True)
class Line:
    """One payment the roll will hold (before the payee's details are attached)."""

    household_id: int
    case_id: int | None
    case_type: str
    kind: str
    for_month: str
    amount_fen: int
    pay_by_bank: bool = True
    adjustment_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Stream:
    """An approved 低保/特困 case: who, since when, how much at approval."""

    case_id: int
    household_id: int
    case_type: str
    approved_at: datetime
    amount_fen: int


@dataclass(frozen=True)
class Exit:
    """A removal decision: the first month not paid, and the gradual-exit months before it."""

    decided_at: datetime
    stop_month: str
    gradual_from: str | None = None
    percent: int = 100


def _in(path: str) -> Any:
    return in_jurisdiction(Case.org_path, path)


def load_streams(session: Session, path: str) -> list[Stream]:
    """Every approved 低保/特困 case under `path` with its approval event."""
    rows = session.execute(
        select(Case.id, Case.household_id, Case.case_type, CaseEvent.at, CaseEvent.payload)
        .join(CaseEvent, and_(CaseEvent.case_id == Case.id, CaseEvent.trigger == "approve"))
        .where(Case.case_type.in_(ONGOING_TYPES), Case.state == "approved", _in(path))
    ).all()
    return [
        Stream(cid, hid, ctype, at, int((payload or {}).get("amount_fen") or 0))
        for cid, hid, ctype, at, payload in rows
        if hid is not None
    ]


def load_exits(session: Session, path: str, rulesets: dict[str, RuleSet]) -> dict[int, list[Exit]]:
    """Removal decisions by household."""
    rows = session.execute(
        select(Case.id, Case.household_id, Case.ruleset_key, CaseEvent.trigger, CaseEvent.at)
        .add_columns(CaseEvent.payload)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.case_type == "removal", CaseEvent.trigger.in_(EXIT_TRIGGERS), _in(path))
        .order_by(Case.id, CaseEvent.seq)
    ).all()
    by_case: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_case[row[0]].append(row)
    exits: dict[int, list[Exit]] = defaultdict(list)
    for events in by_case.values():
        exit_ = _exit_of(events, rulesets)
        if exit_ is not None and events[0][1] is not None:
            exits[events[0][1]].append(exit_)
    return exits


def _exit_of(events: list[Any], rulesets: dict[str, RuleSet]) -> Exit | None:
    decision: Exit | None = None
    for _cid, _hid, rs_key, trigger, at, payload in events:
        payload = payload or {}
        after = add_months(month_of(at), 1)
        if trigger == "approve_removal":
            asked = parse_month(str(payload.get("effective_month") or "")) or after
            decision = Exit(at, max(after, asked))  # never earlier than the month after
        elif trigger == "approve_gradual_exit":
            params = rulesets[rs_key].params
            allowed = max(0, min(int(payload.get("months") or 0), gradual_max(params)))
            percent = int(params.get("gradual_exit_amount_percent", 100))
            decision = Exit(at, add_months(after, allowed), after if allowed else None, percent)
        elif trigger == "end_gradual_exit" and decision is not None:
            decision = Exit(
                decision.decided_at,
                min(decision.stop_month, after),
                decision.gradual_from,
                decision.percent,
            )
    return decision


def gradual_max(params: dict[str, Any]) -> int:
    """Months of gradual exit the rule set allows (0 = none)."""
    return int(params.get("gradual_exit_max_months", 0))


def load_changes(session: Session, path: str, month: str) -> dict[int, int]:
    """The newest amount change in force in `month`, by case."""
    rows = session.execute(
        select(PaymentAmountChange.case_id, PaymentAmountChange.amount_fen)
        .join(Case, Case.id == PaymentAmountChange.case_id)
        .where(_in(path), PaymentAmountChange.effective_month <= month)
        .order_by(PaymentAmountChange.effective_month, PaymentAmountChange.id)
    ).all()
    return dict(rows)  # later rows overwrite earlier ones


def monthly_line(
    stream: Stream, exits: Iterable[Exit], changes: dict[int, int], month: str
) -> Line | None:
    """The payment of one approved case in `month`, or None when it pays nothing then."""
    if month < add_months(month_of(stream.approved_at), 1):
        return None
    later = [e for e in exits if e.decided_at > stream.approved_at]
    exit_ = min(later, key=lambda e: e.stop_month, default=None)
    if exit_ is not None and month >= exit_.stop_month:
        return None
    amount = changes.get(stream.case_id, stream.amount_fen)
    if exit_ is not None and exit_.gradual_from is not None and month >= exit_.gradual_from:
        return Line(
            stream.household_id,
            stream.case_id,
            stream.case_type,
            GRADUAL,
            month,
            amount * exit_.percent // 100,
            note=f"渐退期，{exit_.stop_month} 起停发",
        )
    return Line(stream.household_id, stream.case_id, stream.case_type, MONTHLY, month, amount)


def _already_in_roll(session: Session, township_id: int) -> set[tuple[int | None, str]]:
    """(case, kind) of one-off rows in this township's live rolls (not cancelled, not removed)."""
    rows = session.execute(
        select(RollRow.case_id, RollRow.kind)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(
            PaymentRoll.township_id == township_id,
            RollRow.kind.in_((ONE_OFF, ADVANCE)),
            RollRow.removed_at.is_(None),
            Case.state != "cancelled",
        )
    ).all()
    return {(cid, kind) for cid, kind in rows}


def one_off_lines(
    session: Session, path: str, township_id: int, month: str, lookback: int
) -> list[Line]:
    """Temporary assistance not yet in a roll, approved or advanced from `lookback` months ago."""
    earliest = add_months(month, -lookback)
    rows = session.execute(
        select(Case.id, Case.household_id, Case.state, CaseEvent.trigger, CaseEvent.at)
        .add_columns(CaseEvent.payload)
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.case_type == "temporary", CaseEvent.trigger.in_(ONE_OFF_TRIGGERS), _in(path))
        .order_by(Case.id, CaseEvent.seq)
    ).all()
    done = _already_in_roll(session, township_id)
    advanced: dict[int, int] = defaultdict(int)
    lines: list[Line] = []
    for cid, hid, state, trigger, at, payload in rows:
        amount, when = int((payload or {}).get("amount_fen") or 0), month_of(at)
        if hid is None:
            continue
        if trigger == "grant_advance_aid":
            advanced[cid] += amount
            kind, pay = ADVANCE, amount
        elif state == "approved":
            kind, pay = ONE_OFF, amount - advanced[cid]
        else:
            continue
        if pay > 0 and earliest <= when <= month and (cid, kind) not in done:
            note = "乡镇已先行支付，不进入银行文件" if kind == ADVANCE else ""
            lines.append(
                Line(hid, cid, "temporary", kind, when, pay, pay_by_bank=kind != ADVANCE, note=note)
            )
    return lines


def adjustment_lines(session: Session, township_id: int) -> list[Line]:
    """Adjustments of this township that no live roll holds yet."""
    taken = (
        select(RollRow.adjustment_id)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .join(Case, Case.id == PaymentRoll.case_id)
        .where(
            RollRow.adjustment_id.is_not(None),
            RollRow.removed_at.is_(None),
            Case.state != "cancelled",
        )
    )
    rows = session.scalars(
        select(PaymentAdjustment)
        .where(PaymentAdjustment.township_id == township_id, PaymentAdjustment.id.not_in(taken))
        .order_by(PaymentAdjustment.id)
    ).all()
    case_types = dict(
        session.execute(
            select(Case.id, Case.case_type).where(
                Case.id.in_([a.case_id for a in rows if a.case_id is not None])
            )
        ).all()
    )
    return [
        Line(
            a.household_id,
            a.case_id,
            case_types.get(a.case_id, "") if a.case_id else "",
            ADJUSTMENT,
            a.for_month,
            a.amount_fen,
            adjustment_id=a.id,
            note=a.reason[:300],
        )
        for a in rows
    ]


def lines_for(
    session: Session,
    path: str,
    township_id: int,
    month: str,
    rulesets: dict[str, RuleSet],
    lookback: int,
) -> list[Line]:
    """Every payment of the township in `month`: monthly, gradual exit, one-off, adjustments."""
    exits = load_exits(session, path, rulesets)
    changes = load_changes(session, path, month)
    lines = [
        line
        for s in load_streams(session, path)
        if (line := monthly_line(s, exits.get(s.household_id, ()), changes, month)) is not None
    ]
    lines += one_off_lines(session, path, township_id, month, lookback)
    lines += adjustment_lines(session, township_id)
    return lines
