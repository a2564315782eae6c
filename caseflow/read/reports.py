"""Read-side reports over 低保 / 特困 entitlements (分类施保): 户1人保 households, class C
households due for a raise-or-remove decision, counts and amounts by class, township and
month, and the recipients who came, went or changed in a month.

Class and covered persons come from each case's entitlement history (approval, then any
review's adjustment), never from a form: the people covered are named members. Every query is
limited to the actor's jurisdiction in SQL (`caseflow.read.recipients`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.kernel.actors import Actor
from caseflow.payments.months import add_months
from caseflow.policy.classification import ClassRow, c_class_due_report, single_covered_report
from caseflow.read.recipients import InPayment, in_payment, place_names
from caseflow.reviews.models import ReviewSchedule

CLASSES = ("A", "B", "C")
MAX_MONTHS = 24  # the longest range one classified report covers


def _approved(session: Session, actor: Actor) -> list[InPayment]:
    """低保 cases in payment (or starting next month) with their newest terms."""
    return [
        r
        for r in in_payment(session, actor, None, programmes=("dibao",))
        if r.case_state == "approved"
    ]


def _class_row(r: InPayment) -> ClassRow:
    return ClassRow(r.case_no, r.aid_class, r.household_size, r.covered)


def approved_class_rows(session: Session, actor: Actor) -> list[ClassRow]:
    """Class, household size and covered persons of every 低保 case in payment the actor sees."""
    return [_class_row(r) for r in _approved(session, actor)]


def _filtered(rows: list[InPayment], chosen: list[ClassRow]) -> list[InPayment]:
    keep = {c.case_ref for c in chosen}
    return sorted((r for r in rows if r.case_no in keep), key=lambda r: r.case_no)


def single_covered_cases(session: Session, actor: Actor) -> list[InPayment]:
    """户1人保: one covered person in a household of two or more, with place and amount."""
    rows = _approved(session, actor)
    return _filtered(rows, single_covered_report(_class_row(r) for r in rows))


def single_covered(session: Session, actor: Actor) -> list[ClassRow]:
    """户1人保 cases (one covered person in a household of two or more)."""
    return [_class_row(r) for r in single_covered_cases(session, actor)]


@dataclass(frozen=True)
class ClassCCase:
    """A class C household and when its next review (the raise-or-remove decision) is due."""

    case: InPayment
    next_review_on: date | None

    def overdue(self, today: date) -> bool:
        """The review date has passed without a decision."""
        return self.next_review_on is not None and self.next_review_on < today


def class_c_cases(session: Session, actor: Actor) -> list[ClassCCase]:
    """Class C households, each to be raised (提档) or removed (清退) at its next review."""
    rows = _approved(session, actor)
    chosen = _filtered(rows, c_class_due_report(_class_row(r) for r in rows))
    households = [r.household_id for r in chosen]
    due = (
        dict(
            session.execute(
                select(ReviewSchedule.household_id, ReviewSchedule.next_review_on).where(
                    ReviewSchedule.household_id.in_(households),
                    ReviewSchedule.programme == "dibao",
                    ReviewSchedule.active.is_(True),
                )
            ).all()
        )
        if households
        else {}
    )
    found = [ClassCCase(r, due.get(r.household_id)) for r in chosen]
    return sorted(found, key=lambda c: (c.next_review_on or date.max, c.case.case_no))


def class_c_due(session: Session, actor: Actor) -> list[ClassRow]:
    """Class C households, each to be raised (提档) or removed (清退)."""
    return [_class_row(c.case) for c in class_c_cases(session, actor)]


@dataclass
class ClassFigures:
    """Households, persons covered and fen per month for one class."""

    households: int = 0
    persons: int = 0
    amount_fen: int = 0

    def add(self, r: InPayment) -> None:
        self.households += 1
        self.persons += r.covered
        self.amount_fen += r.amount_fen


@dataclass
class ClassifiedLine:
    """One township in one month: figures per class and their total."""

    month: str
    township_code: str
    township_name: str
    by_class: dict[str, ClassFigures] = field(
        default_factory=lambda: {c: ClassFigures() for c in CLASSES}
    )
    total: ClassFigures = field(default_factory=ClassFigures)


def months_from(first: str, last: str) -> list[str]:
    """`first` … `last` inclusive, at most MAX_MONTHS (the last ones)."""
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months[-MAX_MONTHS:]


def classified(session: Session, actor: Actor, months: list[str]) -> list[ClassifiedLine]:
    """低保 in payment by month × township × class (A/B/C): households, persons, amounts."""
    names = place_names(session, actor)
    lines: list[ClassifiedLine] = []
    for month in months:
        by_township: dict[str, ClassifiedLine] = {}
        for r in in_payment(session, actor, month, programmes=("dibao",)):
            code = r.township_code
            line = by_township.setdefault(code, ClassifiedLine(month, code, names.get(code, code)))
            if r.aid_class in line.by_class:
                line.by_class[r.aid_class].add(r)
            line.total.add(r)
        lines.extend(by_township[c] for c in sorted(by_township))
    return lines


NEW, REMOVED, CHANGED = "new", "removed", "changed"
CHANGE_LABELS = {NEW: "新增", REMOVED: "减少（停发）", CHANGED: "变更"}


@dataclass(frozen=True)
class Change:
    """One recipient's change between the previous month and `month`."""

    kind: str
    before: InPayment | None
    after: InPayment | None

    @property
    def case(self) -> InPayment:
        found = self.after or self.before
        assert found is not None
        return found

    @property
    def what(self) -> str:
        """What changed, in Chinese (for CHANGED)."""
        if self.before is None or self.after is None:
            return ""
        b, a = self.before, self.after
        parts = []
        if b.aid_class != a.aid_class:
            parts.append(f"类别 {b.aid_class or '—'}→{a.aid_class or '—'}")
        if b.covered != a.covered:
            parts.append(f"保障人数 {b.covered}→{a.covered}")
        if b.amount_fen != a.amount_fen:
            parts.append(f"月保障金 {b.amount_fen / 100:.2f}→{a.amount_fen / 100:.2f} 元")
        return "；".join(parts)


@dataclass
class MonthChanges:
    month: str
    changes: list[Change]
    # township code → kind → count
    counts: dict[str, dict[str, int]]
    names: dict[str, str]


def changes_in(session: Session, actor: Actor, month: str) -> MonthChanges:
    """低保 and 特困 recipients new, removed or changed in `month` against the month before."""
    before = {r.case_id: r for r in in_payment(session, actor, add_months(month, -1))}
    after = {r.case_id: r for r in in_payment(session, actor, month)}
    changes: list[Change] = []
    for case_id in sorted(before.keys() | after.keys()):
        b, a = before.get(case_id), after.get(case_id)
        if b is None:
            changes.append(Change(NEW, None, a))
        elif a is None:
            changes.append(Change(REMOVED, b, None))
        elif (b.aid_class, b.covered, b.amount_fen) != (a.aid_class, a.covered, a.amount_fen):
            changes.append(Change(CHANGED, b, a))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CHANGE_LABELS, 0))
    for c in changes:
        counts[c.case.township_code][c.kind] += 1
    changes.sort(key=lambda c: (c.case.org_path, list(CHANGE_LABELS).index(c.kind), c.case.case_no))
    return MonthChanges(month, changes, dict(sorted(counts.items())), place_names(session, actor))
