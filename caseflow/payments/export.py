"""The paying bank's file of a signed roll (.xlsx or .csv): name, full ID number, account and
amount per household, with a control count and total. Finance roles only; every export logged."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.db.models import PersonalDataView
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, PayloadInvalid, PermissionDenied
from caseflow.kernel.money import format_yuan
from caseflow.kernel.roles import Role
from caseflow.kernel.spreadsheet import XLSX_TYPE, XlsxWriter, csv_bytes
from caseflow.payments.models import PaymentRoll, RollRow
from caseflow.payments.roll import load_roll

FINANCE_ROLES = frozenset({Role.DISTRICT_FINANCE.value})
FORMATS = {"xlsx", "csv"}
HEADER = ["序号", "姓名", "身份证号", "银行账号", "金额（元）"]


@dataclass(frozen=True)
class BankLine:
    name: str
    id_number: str
    account: str
    amount_fen: int


@dataclass(frozen=True)
class BankFile:
    filename: str
    content_type: str
    data: bytes
    count: int
    total_fen: int


def bank_lines(session: Session, roll_id: int) -> Iterator[BankLine]:
    """One line per household: the net of its live bank-paid rows, when that is positive
    (a net of zero or less is recovered outside the bank file)."""
    net = func.sum(RollRow.amount_fen)
    rows = session.execute(
        select(RollRow.payee_name, RollRow.id_number, RollRow.bank_account, net)
        .where(
            RollRow.roll_id == roll_id,
            RollRow.removed_at.is_(None),
            RollRow.pay_by_bank.is_(True),
        )
        .group_by(RollRow.household_id, RollRow.payee_name, RollRow.id_number, RollRow.bank_account)
        .having(net > 0)
        .order_by(RollRow.household_id)
    )
    for name, idn, account, fen in rows:
        yield BankLine(name, idn, account, int(fen))


def _rows(lines: list[BankLine], count: int, total: int) -> Iterator[Sequence[object]]:
    yield HEADER
    for i, ln in enumerate(lines, 1):
        # ID numbers and accounts as text: a number cell would lose digits beyond 15.
        yield [i, ln.name, ln.id_number, ln.account, format_yuan(ln.amount_fen)]
    yield ["合计", f"{count} 笔", "", "", format_yuan(total)]


def _csv(lines: list[BankLine], count: int, total: int) -> bytes:
    return csv_bytes(_rows(lines, count, total))  # with a BOM: Excel reads the Chinese text


def _xlsx(lines: list[BankLine], count: int, total: int) -> bytes:
    book = XlsxWriter()  # streams rows: 200,000 lines without a cell object each
    sheet = book.sheet("代发明细")
    for row in _rows(lines, count, total):
        sheet.append(row)
    return book.to_bytes()


def build_file(session: Session, roll: PaymentRoll, case_no: str, fmt: str) -> BankFile:
    """The file's bytes and its control figures (no access check, no log: see export_roll)."""
    lines = list(bank_lines(session, roll.id))
    count, total = len(lines), sum(ln.amount_fen for ln in lines)
    data = _xlsx(lines, count, total) if fmt == "xlsx" else _csv(lines, count, total)
    ctype = XLSX_TYPE if fmt == "xlsx" else "text/csv; charset=utf-8"
    return BankFile(f"{case_no}-bank.{fmt}", ctype, data, count, total)


def export_roll(session: Session, actor: Actor, roll_id: int, fmt: str, now: datetime) -> BankFile:
    """The bank file of a signed roll, for finance roles only; the export is logged (committed)."""
    if not actor.roles & FINANCE_ROLES or actor.user_id is None:
        raise PermissionDenied("只有区财务（发放）可以导出银行代发文件")
    if fmt not in FORMATS:
        raise PayloadInvalid({"format": "导出格式只能是 xlsx 或 csv"})
    with UnitOfWork(session) as uow:
        roll, case = load_roll(session, actor, roll_id)
        if roll.signed_at is None:
            raise CaseflowError("名册签发后才能导出银行代发文件")
        result = build_file(session, roll, case.case_no, fmt)
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="roll_export",
            subject=f"roll:{roll.id}",
            payload={
                "case_no": case.case_no,
                "format": fmt,
                "count": result.count,
                "total_fen": result.total_fen,
                "sha256": hashlib.sha256(result.data).hexdigest(),
            },
            at=now,
        )
        # Full ID numbers and accounts of every listed household leave the system in this file.
        for field in ("id_number", "bank_account"):
            session.add(
                PersonalDataView(
                    user_id=actor.user_id,
                    case_id=case.id,
                    field=field,
                    purpose=f"银行代发文件 {case.case_no}（{fmt}，{result.count} 户）"[:100],
                    at=now,
                )
            )
        uow.commit()
    return result
