"""A household's means as the investigators record it: incomes, assets and deductible expenses,
line by line per member, each with its 核对 result, the document it rests on, the day it
describes and who recorded it.

Recording is the declared transition `record_household_means` (an audited event through
engine.fire): its guard checks every line (`check_records`, also used by the web form for its
field-by-field messages), its effect makes the household's stored lines equal to the record —
a line that did not change keeps who recorded it and when. The means test then reads the lines
through caseflow.casework.facts_adapter like any other fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from caseflow.casework.facts_adapter import household_facts, load_household
from caseflow.db.models import (
    Case,
    Household,
    Member,
    MemberAsset,
    MemberExpense,
    MemberIncome,
    User,
)
from caseflow.engine.fire import fire
from caseflow.engine.plugins import EffectContext, GuardContext, Plugin
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.money import format_yuan, parse_yuan
from caseflow.kernel.timeutil import to_local
from caseflow.policy.config import PolicyConfig
from caseflow.policy.facts import ASSET_KIND_ZH, EXPENSE_KIND_ZH, INCOME_SOURCE_ZH
from caseflow.policy.means_lines import SECTION_ZH, means_lines

plugin = Plugin("casework.means")

TRIGGER = "record_household_means"
SECTIONS = ("income", "asset", "expense")
KINDS_ZH: dict[str, dict[str, str]] = {
    "income": INCOME_SOURCE_ZH,
    "asset": ASSET_KIND_ZH,
    "expense": EXPENSE_KIND_ZH,
}
# 核对结果: how the line was established. "unknown" marks lines stored before the means record
# existed (migration 0013); it cannot be chosen.
CHECK_RESULT_ZH: dict[str, str] = {
    "verified": "信息核对一致",
    "adjusted": "核对不一致，按核对结果录入",
    "pending": "已提请核对，待反馈",
    "declared": "本人申报，未经核对",
}
CHECK_RESULT_ALL_ZH = {**CHECK_RESULT_ZH, "unknown": "未记录"}
# A line established by a check names what it rests on (核对报告, 银行流水, 不动产登记 …).
CHECKED = frozenset({"verified", "adjusted"})
MAX_FEN = 10**12  # 100 亿元: beyond any household; keeps BIGINT and the sums far from overflow
MAX_TEXT = 200
TYPED = ("kind", "amount", "amount_fen", "evidence", "note")

Line = MemberIncome | MemberAsset | MemberExpense


def _blank(row: Mapping[str, Any]) -> bool:
    return all(row.get(k) in (None, "") for k in TYPED)


def _amount(row: Mapping[str, Any], section: str) -> int:
    value = row.get("amount_fen")
    if value is None or value == "":
        text = str(row.get("amount") or "").strip()
        if not text:
            raise ValueError("请填写金额")
        value = parse_yuan(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("金额应为整数分")
    if value < 0:
        raise ValueError("金额不能为负数")
    if value > MAX_FEN:
        raise ValueError("金额过大，请核对")
    if value == 0 and section != "asset":
        raise ValueError("金额须大于 0")
    return value


def _as_of(row: Mapping[str, Any], today: date) -> str:
    text = str(row.get("as_of") or "").strip()
    if not text:
        raise ValueError("请填写截至日期")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("日期格式应为 YYYY-MM-DD") from None
    if day > today:
        raise ValueError(f"截至日期不能晚于今天（{today.isoformat()}）")
    return day.isoformat()


def _text(row: Mapping[str, Any], name: str) -> str:
    text = str(row.get(name) or "").strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"不能超过 {MAX_TEXT} 个字")
    return text


def _line_id(row: Mapping[str, Any]) -> int | None:
    raw = row.get("id")
    text = str(raw).strip() if raw not in (None, "") and not isinstance(raw, bool) else ""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 2**31 else None


def _flag(row: Mapping[str, Any]) -> bool:
    value = row.get("employs_others")
    return value is True or str(value).strip().lower() in {"1", "true", "on", "yes", "是"}


def _clean_row(
    row: Mapping[str, Any],
    members: Mapping[int, str],
    today: date,
    errors: dict[str, str],
    key: str,
) -> dict[str, Any] | None:
    section = str(row.get("section") or "")
    clean: dict[str, Any] = {"section": section}
    checks: list[tuple[str, Any]] = [("member_id", lambda: _member(row, members))]
    if section in SECTIONS:
        checks.append(("kind", lambda: _kind(row, section)))
    elif section:
        errors[f"{key}-section"] = "记录类型无效（收入、财产或支出）"
    else:  # the form chooses section and category in one list
        errors[f"{key}-kind"] = "请选择类别"
    checks += [
        ("amount", lambda: _amount(row, section)),
        ("check", lambda: _check(row)),
        ("as_of", lambda: _as_of(row, today)),
        ("evidence", lambda: _text(row, "evidence")),
        ("note", lambda: _text(row, "note")),
    ]
    for name, read in checks:
        try:
            clean[name] = read()
        except ValueError as exc:
            errors[f"{key}-{name}"] = str(exc)
    if (
        clean.get("check") in CHECKED
        and not clean.get("evidence")
        and f"{key}-evidence" not in errors
    ):
        errors[f"{key}-evidence"] = "核对一致或不一致的，须写明依据（核对报告、流水、证明等）"
    if any(k.startswith(f"{key}-") for k in errors):
        return None
    clean["amount_fen"] = clean.pop("amount")
    clean["employs_others"] = section == "asset" and _flag(row)
    line_id = _line_id(row)
    if line_id is not None:
        clean["id"] = line_id
    return clean


def _member(row: Mapping[str, Any], members: Mapping[int, str]) -> int:
    text = str(row.get("member_id") or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) not in members:
        raise ValueError("请从本户成员中选择")
    return int(text)


def _kind(row: Mapping[str, Any], section: str) -> str:
    kind = str(row.get("kind") or "").strip()
    if not kind:
        raise ValueError("请选择类别")
    if kind not in KINDS_ZH[section]:
        raise ValueError("类别不在可选范围内")
    return kind


def _check(row: Mapping[str, Any]) -> str:
    check = str(row.get("check") or "").strip()
    if check not in CHECK_RESULT_ZH:
        raise ValueError("请选择核对结果")
    return check


def check_records(
    rows: Sequence[Mapping[str, Any]], members: Mapping[int, str], today: date
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The cleaned lines and the errors, keyed "<row key>-<field>" (a row's `key`, else
    "第N行"). Rows with nothing typed are left out (that is how a line is deleted); amounts are
    yuan as typed (`amount`) or fen (`amount_fen`); cleaning a cleaned record changes nothing."""
    errors: dict[str, str] = {}
    cleaned: list[dict[str, Any]] = []
    for n, row in enumerate(rows, start=1):
        if _blank(row):
            continue
        key = str(row.get("key") or f"第{n}行")
        clean = _clean_row(row, members, today, errors, key)
        if clean is not None:
            cleaned.append(clean)
    return cleaned, errors


def _members_of(household: Household) -> dict[int, str]:
    return {m.id: m.name for m in household.members}


def errors_zh(errors: Mapping[str, str], members: Mapping[int, str] | None = None) -> str:
    """The errors as one sentence (for the API and the guard): "第2行 金额：请填写金额；…"."""
    names = {"member_id": "成员", "kind": "类别", "amount": "金额", "check": "核对结果"}
    names |= {"as_of": "截至日期", "evidence": "依据", "note": "说明", "section": "类型"}
    parts = []
    for key, msg in errors.items():
        row, _, field = key.rpartition("-")
        parts.append(f"{row} {names.get(field, field)}：{msg}")
    return "；".join(parts[:5]) + ("；……" if len(parts) > 5 else "")


@plugin.guard("means_records_valid", needs_payload=True)
def means_records_valid(ctx: GuardContext) -> str | None:
    """Every line names a member of this household, a category of its section, an amount, a
    核对 result (with its document when checked) and a date not after today."""
    assert ctx.payload is not None
    household = load_household(ctx.session, ctx.case.household_id)
    today = to_local(ctx.now).date()
    _, errors = check_records(ctx.payload.get("records") or [], _members_of(household), today)
    return f"收入、财产和支出填写有误：{errors_zh(errors)}" if errors else None


def _content(line: Line) -> tuple[Any, ...]:
    kind = line.source if isinstance(line, MemberIncome) else line.kind
    amount = line.value_fen if isinstance(line, MemberAsset) else line.monthly_fen
    flag = line.employs_others if isinstance(line, MemberAsset) else False
    when = line.as_of.isoformat() if line.as_of else None
    return (kind, amount, line.check_result, line.evidence, when, line.note, flag)


def _record_content(rec: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        rec["kind"],
        rec["amount_fen"],
        rec["check"],
        rec["evidence"],
        rec["as_of"],
        rec["note"],
        rec["employs_others"],
    )


def _lines(member: Member, section: str) -> list[Any]:
    by_section: dict[str, list[Any]] = {
        "income": member.incomes,
        "asset": member.assets,
        "expense": member.expenses,
    }
    return by_section[section]


def _new_line(section: str, rec: Mapping[str, Any]) -> Line:
    if section == "income":
        return MemberIncome(source=rec["kind"], monthly_fen=rec["amount_fen"])
    if section == "asset":
        return MemberAsset(
            kind=rec["kind"], value_fen=rec["amount_fen"], employs_others=rec["employs_others"]
        )
    return MemberExpense(kind=rec["kind"], monthly_fen=rec["amount_fen"])


def _write(line: Line, rec: Mapping[str, Any], actor: Actor, now: datetime) -> None:
    if isinstance(line, MemberIncome):
        line.source, line.monthly_fen = rec["kind"], rec["amount_fen"]
    elif isinstance(line, MemberAsset):
        line.kind, line.value_fen = rec["kind"], rec["amount_fen"]
        line.employs_others = rec["employs_others"]
    else:
        line.kind, line.monthly_fen = rec["kind"], rec["amount_fen"]
    line.check_result, line.evidence, line.note = rec["check"], rec["evidence"], rec["note"]
    line.as_of = date.fromisoformat(rec["as_of"])
    line.recorded_by_id, line.recorded_at = actor.user_id, now


def apply_records(
    household: Household, records: Sequence[Mapping[str, Any]], actor: Actor, now: datetime
) -> None:
    """Make the household's lines equal to `records` (already checked): changed lines are
    rewritten and stamped, unchanged ones keep their recorder, missing ones are removed."""
    for member in household.members:
        for section in SECTIONS:
            current = _lines(member, section)
            by_id = {line.id: line for line in current if line.id is not None}
            kept: list[Any] = []
            for rec in records:
                if rec["member_id"] != member.id or rec["section"] != section:
                    continue
                line = by_id.pop(rec.get("id") or 0, None)
                if line is None:
                    line = _new_line(section, rec)
                if line.id is None or _content(line) != _record_content(rec):
                    _write(line, rec, actor, now)
                kept.append(line)
            current[:] = kept  # delete-orphan removes the lines left out


@plugin.effect("save_household_means")
def save_household_means(ctx: EffectContext) -> None:
    """Store the recorded lines on the household (the audit event holds the record itself)."""
    household = load_household(ctx.session, ctx.case.household_id)
    records, errors = check_records(
        ctx.payload.get("records") or [], _members_of(household), to_local(ctx.now).date()
    )
    assert not errors  # the guard refused them before any effect ran
    apply_records(household, records, ctx.actor, ctx.now)


def record_means(
    session: Session,
    case: Case,
    actor: Actor,
    now: datetime,
    rows: Sequence[Mapping[str, Any]],
    expected_version: int | None = None,
) -> None:
    """Check the rows field by field (PayloadInvalid with every error, nothing written), then
    fire `record_household_means` with the cleaned record."""
    household = load_household(session, case.household_id)
    records, errors = check_records(rows, _members_of(household), to_local(now).date())
    if errors:
        raise PayloadInvalid(errors)
    fire(
        session,
        case.id,
        TRIGGER,
        actor,
        now,
        {"records": records},
        expected_version=expected_version,
    )


def _recorded(household: Household, lines: Sequence[Line]) -> list[str]:
    """Who recorded each line and when ("张三 2026-03-02 10:15"; "" for lines stored before
    the means record existed)."""
    session = object_session(household)
    ids = {line.recorded_by_id for line in lines if line.recorded_by_id is not None}
    names: dict[int, str] = {}
    if ids and session is not None:
        found = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
        names = {uid: name for uid, name in found}
    return [
        f"{names.get(line.recorded_by_id or 0, '')} {to_local(line.recorded_at):%Y-%m-%d %H:%M}"
        if line.recorded_at is not None
        else ""
        for line in lines
    ]


def explained_lines(household: Household, config: PolicyConfig) -> list[dict[str, Any]]:
    """Every stored line with its treatment under `config` and its evidence, JSON-ready (kept
    with the assessment, so the explanation stays as it was decided)."""
    treated = means_lines(household_facts(household), config)
    # The order means_lines walks too: members, then their incomes, assets and expenses.
    stored = [line for m in household.members for s in SECTIONS for line in _lines(m, s)]
    rows = []
    for t, line, recorded in zip(treated, stored, _recorded(household, stored), strict=True):
        rows.append(
            {
                "member": t.member,
                "section": SECTION_ZH[t.section],
                "kind": t.kind_zh,
                "amount": format_yuan(t.amount_fen),
                "treatment": t.treatment_zh,
                "reason": t.reason_zh,
                "check": CHECK_RESULT_ALL_ZH.get(line.check_result, line.check_result),
                "evidence": line.evidence,
                "as_of": line.as_of.isoformat() if line.as_of else "",
                "recorded": recorded,
            }
        )
    return rows


def stored_rows(household: Household) -> list[dict[str, Any]]:
    """The household's lines as the form's rows (what `check_records` reads back): members in
    order, then their incomes, assets and expenses in recorded order."""
    stored = [(m, s, line) for m in household.members for s in SECTIONS for line in _lines(m, s)]
    recorded = _recorded(household, [line for _, _, line in stored])
    rows = []
    for (member, section, line), by in zip(stored, recorded, strict=True):
        kind, amount, check, evidence, when, note, flag = _content(line)
        rows.append(
            {
                "id": str(line.id),
                "member_id": str(member.id),
                "section": section,
                "kind": kind,
                "amount": format_yuan(amount),
                "check": check if check in CHECK_RESULT_ZH else "",
                "evidence": evidence,
                "as_of": when or "",
                "note": note,
                "employs_others": "on" if flag else "",
                "recorded": by,  # shown on the form, never read back
            }
        )
    return rows
