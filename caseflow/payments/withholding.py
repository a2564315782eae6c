"""Amounts withheld from a township's regular roll by programmes above payments (today: a
recovery's 扣减, caseflow.oversight.roll_deduction). Payments knows only this shape; the
programme installs itself at boot (its plugin's set-up step), so the roll never imports it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit
from caseflow.payments.entitlement import Line
from caseflow.payments.models import PaymentRoll
from caseflow.workflow.registry import Registry

# (session, registry, township, month, the roll's other lines) → lines to add (negative amounts)
LinesFn = Callable[[Session, Registry, OrgUnit, str, list[Line]], list[Line]]
# (session, registry, the opened roll, now) → how many rows were recorded by the programme
RecordFn = Callable[[Session, Registry, PaymentRoll, datetime], int]


@dataclass(frozen=True)
class Withholding:
    name: str
    lines: LinesFn
    record: RecordFn


_INSTALLED: dict[str, Withholding] = {}


def install(withholding: Withholding) -> None:
    """Installed once per process by the programme's plugin (a second install replaces it)."""
    _INSTALLED[withholding.name] = withholding


def withheld_lines(
    session: Session, reg: Registry, township: OrgUnit, month: str, lines: list[Line]
) -> list[Line]:
    """Every installed programme's lines for the roll, each seeing the lines before it."""
    extra: list[Line] = []
    for w in _INSTALLED.values():
        extra += w.lines(session, reg, township, month, lines + extra)
    return extra


def record_withheld(session: Session, reg: Registry, roll: PaymentRoll, now: datetime) -> None:
    """After the roll's rows are written: each programme records what it withheld (inside the
    roll's unit of work, so a refusal leaves no roll)."""
    for w in _INSTALLED.values():
        w.record(session, reg, roll, now)
