"""Excel export of a comparison run: a summary sheet (township × category), one sheet per
category and one of the households held for a person to decide (人工判定). ID numbers are
masked, as in every list and printout."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, ComparisonResult, OrgUnit, User
from caseflow.kernel.actors import Actor
from caseflow.kernel.idnumber import mask_id_number
from caseflow.kernel.money import format_yuan
from caseflow.kernel.spreadsheet import XlsxWriter
from caseflow.kernel.timeutil import to_local
from caseflow.ledger.actions import ACTION_LABELS
from caseflow.ledger.classify import CATEGORIES, CATEGORY_LABELS

COLUMNS = (
    "序号",
    "乡（镇）",
    "行政村",
    "户主",
    "家庭成员（身份证号已隐藏）",
    "来源",
    "人均月收入（元）",
    "比对依据",
    "处理情况",
    "处理理由",
    "处理人",
    "处理时间",
    "案件编号",
)
DECISION_SHEET = "人工判定"
_SOURCES = {"registry": "建档立卡", "dibao_roster": "低保台账", "tekun_roster": "特困台账"}


def _members(evidence: dict[str, Any]) -> str:
    seen: dict[str, str] = {}
    for unit in evidence.get("registry", []) + evidence.get("assistance", []):
        for p in unit.get("persons", []):
            seen.setdefault(p["id_number"], f"{p['name']}（{mask_id_number(p['id_number'])}）")
    return "；".join(seen.values())


def _sources(evidence: dict[str, Any]) -> str:
    units = evidence.get("registry", []) + evidence.get("assistance", [])
    names = {_SOURCES.get(u.get("source", ""), "系统在保") for u in units}
    return "、".join(sorted(names))


def _income(evidence: dict[str, Any]) -> str:
    for unit in evidence.get("registry", []) + evidence.get("assistance", []):
        if unit.get("income_fen") is not None:
            return format_yuan(int(unit["income_fen"]))
    return ""


def sheet_title(category: str) -> str:
    """The sheet name: Excel forbids / (and a few more) in sheet names and allows 31 chars."""
    title = f"{category} {CATEGORY_LABELS[category]}".replace("/", "、")
    return "".join(ch for ch in title if ch not in "\\?*[]:")[:31]


def export_run(session: Session, run_id: int, path: Path, actor: Actor | None = None) -> Path:
    """Write the run's results (those inside the actor's jurisdiction) to an .xlsx file."""
    townships = dict(
        session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.level == "township")).all()
    )
    paths = dict(session.execute(select(OrgUnit.code, OrgUnit.path)).all())
    users = dict(session.execute(select(User.id, User.display_name)).all())
    wb = XlsxWriter()
    summary = wb.sheet("汇总")
    sheets = {c: wb.sheet(sheet_title(c)) for c in CATEGORIES}
    for sheet in sheets.values():
        sheet.append(list(COLUMNS))
    # 人工判定: the households a person must place (same-name heads), each also in its category.
    undecided = wb.sheet(DECISION_SHEET)
    undecided.append(["类别", *COLUMNS, "待人工判定原因"])
    counts: Counter[tuple[str, str]] = Counter()
    numbers: Counter[str] = Counter()
    results = session.scalars(
        select(ComparisonResult)
        .where(ComparisonResult.run_id == run_id)
        .order_by(ComparisonResult.township_code, ComparisonResult.village, ComparisonResult.id)
        .execution_options(yield_per=2000)
    )
    for r in results:
        if actor is not None and not actor.may_see(paths.get(r.township_code or "", "/640502/")):
            continue
        township = townships.get(r.township_code or "", "（未识别乡镇）")
        counts[(township, r.category)] += 1
        numbers[r.category] += 1
        case_no = ""
        if r.action_case_id is not None:
            case_no = session.scalar(select(Case.case_no).where(Case.id == r.action_case_id)) or ""
        line = [
            numbers[r.category],
            township,
            r.village,
            r.head_name,
            _members(r.evidence),
            _sources(r.evidence),
            _income(r.evidence),
            "；".join(r.evidence.get("reasons", [])),
            ACTION_LABELS.get(r.action, r.action),
            r.action_reason,
            users.get(r.action_by_id, "") if r.action_by_id else "",
            to_local(r.action_at).strftime("%Y-%m-%d %H:%M") if r.action_at else "",
            case_no,
        ]
        sheets[r.category].append(line)
        if r.needs_decision:
            undecided.append([r.category, *line, "；".join(r.evidence.get("decision", []))])
    summary.append([f"台账比对结果汇总（比对批次 {run_id}）"])
    summary.append(["乡（镇）", *[f"{c} {CATEGORY_LABELS[c]}" for c in CATEGORIES], "合计"])
    for township in sorted({t for t, _ in counts}):
        row = [counts[(township, c)] for c in CATEGORIES]
        summary.append([township, *row, sum(row)])
    totals = [sum(n for (_, c), n in counts.items() if c == cat) for cat in CATEGORIES]
    summary.append(["合计", *totals, sum(totals)])
    wb.save(path)
    return path
