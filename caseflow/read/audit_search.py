"""Audit search: case events, admin-log entries and full views of personal data.

Filters by user, case number, household (id or head-of-household name), action and a range of
local dates; jurisdiction is part of every query's WHERE clause: a township user sees events of
cases (and views of households) inside its subtree only, and admin-log entries made by its own
subtree's staff; district staff see everything. The CSV export runs the same query and writes
UTF-8 with a byte-order mark, so that Excel in Chinese opens it without garbling.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from caseflow.casework.personal_data import FIELDS, may_see_names
from caseflow.clock.workcal import start_of_local_day
from caseflow.db.models import (
    AdminEvent,
    Case,
    CaseEvent,
    Household,
    OrgUnit,
    PersonalDataView,
    User,
)
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.events import EVENT_LABELS, event_label
from caseflow.kernel.actors import Actor
from caseflow.kernel.idnumber import mask_ids
from caseflow.kernel.names import mask_name
from caseflow.kernel.paging import Page
from caseflow.kernel.roles import ROLE_LABELS, Role
from caseflow.kernel.spreadsheet import CsvWriter
from caseflow.kernel.timeutil import LOCAL_TZ
from caseflow.ledger.actions import ACTION_LABELS as LEDGER_ACTION_LABELS
from caseflow.workflow.registry import registry

# Who may search the audit trail (township leaders within their township).
AUDIT_ROLES: frozenset[str] = frozenset(
    {
        Role.SUPERVISOR.value,
        Role.ADMIN.value,
        Role.DISTRICT_APPROVER.value,
        Role.TOWNSHIP_LEADER.value,
    }
)

CASE_EVENTS, ADMIN_EVENTS, PERSONAL_VIEWS = "case_events", "admin_events", "personal_views"
KINDS: dict[str, str] = {
    CASE_EVENTS: "案件操作",
    ADMIN_EVENTS: "系统管理日志",
    PERSONAL_VIEWS: "个人信息完整查看",
}
SYSTEM_NAMES = {"system", "系统"}
EXPORT_LIMIT = 50_000


# The admin log's actions by their Chinese names (a ledger worklist action is "ledger.<action>").
ADMIN_ACTIONS: dict[str, str] = {
    "user_created": "新建账号",
    "user_updated": "修改账号",
    "password_changed": "修改密码",
    "api_token_created": "签发接口令牌",
    "api_token_revoked": "吊销接口令牌",
    "office_phone_changed": "修改单位联系电话",
    "policy.enter": "录入政策配置",
    "policy.confirm": "确认政策配置",
    "duplicate_override": "重复申请授权",
    "household_change": "更正家庭信息",
    "transfer.request": "申请迁移（迁入本乡镇）",
    "transfer.decide": "审批迁移",
    "ledger.import": "导入台账名单",
    "ledger.import_rejected": "台账名单导入未通过",
    "ledger.compare": "台账比对",
    "ledger.household_registered": "按比对结果登记家庭",
    "ledger.preset_saved": "保存列映射方案",
    "ledger.report_full_view": "下载含完整身份证号的校验报告",
    "roster_exported": "导出低保/特困名单",
    "roll_export": "导出银行代发文件",
    "payment_adjustment": "调整发放名册",
    "payment_adjustment_withdrawn": "撤回发放调整",
    "campaign.create": "创建排查摸底活动",
    "campaign.link_run": "活动关联比对批次",
    "screening.round": "登记排查摸底轮次",
    "training.session": "登记业务培训",
}


def admin_action_label(action: str) -> str:
    """The Chinese name of an admin-log action (the code itself for one not named yet)."""
    if action in ADMIN_ACTIONS:
        return ADMIN_ACTIONS[action]
    worklist = action.removeprefix("ledger.")
    if worklist != action and worklist in LEDGER_ACTION_LABELS:
        return f"台账处理：{LEDGER_ACTION_LABELS[worklist]}"
    return action


def case_event_actions() -> dict[str, str]:
    """Every action a case event can record, by its Chinese name (the filter's choices): a
    trigger that several workflows declare under different names carries all of them."""
    names: dict[str, list[str]] = {code: [label] for code, label in EVENT_LABELS.items()}
    for wf in registry().workflows.values():
        for t in wf.transitions:
            known = names.setdefault(t.trigger, [])
            if t.label not in known:
                known.append(t.label)
    choices = {code: "／".join(labels) for code, labels in names.items()}
    return dict(sorted(choices.items(), key=lambda item: item[1]))


@dataclass(frozen=True)
class AuditFilters:
    """Search terms; empty strings and None mean "any"."""

    user: str = ""  # username or display name ("系统" for the timer sweep)
    case_no: str = ""  # part of a case number
    household: str = ""  # a household id, or part of the head of household's name
    action: str = ""  # a trigger, an admin action, or a personal-data field
    since: date | None = None  # local dates, inclusive
    until: date | None = None


@dataclass(frozen=True)
class CaseEventRow:
    id: int
    at: datetime
    case_id: int
    case_no: str
    household_id: int
    head_name: str
    user_name: str
    role: str
    trigger: str
    trigger_label: str
    from_state: str | None
    to_state: str
    from_state_label: str
    to_state_label: str


@dataclass(frozen=True)
class AdminEventRow:
    id: int
    at: datetime
    user_name: str
    action: str
    subject: str
    action_label: str = ""


@dataclass(frozen=True)
class PersonalViewRow:
    id: int
    at: datetime
    user_name: str
    field: str
    field_label: str
    household_id: int | None
    head_name: str
    case_id: int | None
    case_no: str
    purpose: str


Row = CaseEventRow | AdminEventRow | PersonalViewRow


@dataclass(frozen=True)
class AuditPage(Page[Row]):
    """A page of one kind of audit record."""

    kind: str


def sees_everything(actor: Actor) -> bool:
    """District-level (or system) users: the whole district, including admin-log entries."""
    return len([p for p in actor.org_path.split("/") if p]) <= 1


def _time_conditions(column: Any, f: AuditFilters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.since is not None:
        conds.append(column >= start_of_local_day(f.since))
    if f.until is not None:
        conds.append(column < start_of_local_day(f.until + timedelta(days=1)))
    return conds


def _user_condition(column: Any, text: str) -> ColumnElement[bool]:
    if text.lower() in SYSTEM_NAMES:
        nobody: ColumnElement[bool] = column.is_(None)
        return nobody
    ids = select(User.id).where(or_(User.username == text, User.display_name == text))
    among: ColumnElement[bool] = column.in_(ids)
    return among


def _household_condition(text: str) -> ColumnElement[bool]:
    if text.isdigit() and len(text) <= 9:
        return Household.id == int(text)
    return Household.head_name.contains(text, autoescape=True)


def _display_name(user: Any) -> str:
    return "系统" if user is None else f"{user.display_name}（{user.username}）"


def _case_events_select(actor: Actor, f: AuditFilters) -> Any:
    conds: list[ColumnElement[bool]] = [in_jurisdiction(Case.org_path, actor)]
    if f.user:
        conds.append(_user_condition(CaseEvent.actor_id, f.user))
    if f.case_no:
        conds.append(Case.case_no.contains(f.case_no, autoescape=True))
    if f.household:
        conds.append(_household_condition(f.household))
    if f.action:
        conds.append(CaseEvent.trigger == f.action)
    conds += _time_conditions(CaseEvent.at, f)
    return (
        select(CaseEvent, Case.case_no, Case.workflow_key, Household.id, Household.head_name, User)
        .join(Case, Case.id == CaseEvent.case_id)
        .join(Household, Household.id == Case.household_id)
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(*conds)
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
    )


def _role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def _case_event_rows(result: Iterable[Any]) -> Iterator[CaseEventRow]:
    reg = registry()
    for ev, case_no, wf_key, hh_id, head, user in result:
        wf = reg.workflow(wf_key)
        label = event_label(wf, ev.trigger)
        yield CaseEventRow(
            id=ev.id,
            at=ev.at,
            case_id=ev.case_id,
            case_no=case_no,
            household_id=hh_id,
            head_name=head,
            user_name=_display_name(user),
            role=_role_label(ev.actor_role),
            trigger=ev.trigger,
            trigger_label=label,
            from_state=ev.from_state,
            to_state=ev.to_state,
            from_state_label=wf.state_label(ev.from_state) if ev.from_state else "",
            to_state_label=wf.state_label(ev.to_state),
        )


def _admin_events_select(actor: Actor, f: AuditFilters) -> Any:
    conds: list[ColumnElement[bool]] = []
    stmt = select(AdminEvent, User).outerjoin(User, User.id == AdminEvent.actor_id)
    if not sees_everything(actor):
        # Township staff see what their own subtree's staff did, nothing of the district's.
        unit = aliased(OrgUnit)
        stmt = stmt.join(unit, unit.id == User.org_unit_id)
        conds.append(in_jurisdiction(unit.path, actor))
    if f.user:
        conds.append(_user_condition(AdminEvent.actor_id, f.user))
    for text in (f.case_no, f.household):
        if text:
            conds.append(AdminEvent.subject.contains(text, autoescape=True))
    if f.action:
        conds.append(AdminEvent.action == f.action)
    conds += _time_conditions(AdminEvent.at, f)
    return stmt.where(*conds).order_by(AdminEvent.at.desc(), AdminEvent.id.desc())


def _admin_event_rows(result: Iterable[Any]) -> Iterator[AdminEventRow]:
    for ev, user in result:
        label = admin_action_label(ev.action)
        yield AdminEventRow(ev.id, ev.at, _display_name(user), ev.action, ev.subject, label)


def _views_select(actor: Actor, f: AuditFilters) -> Any:
    viewed = aliased(Case)
    conds: list[ColumnElement[bool]] = []
    if not sees_everything(actor):
        place = func.coalesce(Household.org_path, viewed.org_path)
        conds.append(in_jurisdiction(place, actor))
    if f.user:
        conds.append(_user_condition(PersonalDataView.user_id, f.user))
    if f.case_no:
        conds.append(viewed.case_no.contains(f.case_no, autoescape=True))
    if f.household:
        conds.append(_household_condition(f.household))
    if f.action:
        conds.append(PersonalDataView.field == f.action)
    conds += _time_conditions(PersonalDataView.at, f)
    return (
        select(PersonalDataView, Household.head_name, viewed.case_no, User)
        .outerjoin(Household, Household.id == PersonalDataView.household_id)
        .outerjoin(viewed, viewed.id == PersonalDataView.case_id)
        .outerjoin(User, User.id == PersonalDataView.user_id)
        .where(and_(True, *conds))
        .order_by(PersonalDataView.at.desc(), PersonalDataView.id.desc())
    )


def _view_rows(result: Iterable[Any]) -> Iterator[PersonalViewRow]:
    for v, head, case_no, user in result:
        yield PersonalViewRow(
            id=v.id,
            at=v.at,
            user_name=_display_name(user),
            field=v.field,
            field_label=FIELDS.get(v.field, v.field),
            household_id=v.household_id,
            head_name=head or "",
            case_id=v.case_id,
            case_no=case_no or "",
            purpose=v.purpose,
        )


# A head of household named in an admin-log subject (the duplicate override writes one).
_HEAD_IN_SUBJECT = re.compile(r"(户主\s*)([^\s（(·]+)")


def _private(actor: Actor) -> Callable[[Row], Row]:
    """What the actor may read of a row: ID numbers quoted in free text always masked (a full
    view belongs on the case page, where it is logged); applicants' names masked for roles that
    work on no case (the admin)."""
    names = may_see_names(actor)

    def name(text: str) -> str:
        return text if names else mask_name(text)

    def subject(text: str) -> str:
        text = mask_ids(text)
        if names:
            return text
        return _HEAD_IN_SUBJECT.sub(lambda m: m.group(1) + mask_name(m.group(2)), text)

    def private(row: Row) -> Row:
        if isinstance(row, CaseEventRow):
            return row if names else replace(row, head_name=name(row.head_name))
        if isinstance(row, AdminEventRow):
            return replace(row, subject=subject(row.subject))
        return replace(row, head_name=name(row.head_name), purpose=mask_ids(row.purpose))

    return private


def refused_filters(actor: Actor, filters: AuditFilters) -> dict[str, str]:
    """Filters the actor may not use: a role that reads no names finds households by number
    only (a search by name would tell whether someone is in the records)."""
    text = filters.household
    if text and not (text.isdigit() and len(text) <= 9) and not may_see_names(actor):
        return {"household": "您的角色只能按家庭编号查询"}
    return {}


_QUERIES: dict[str, tuple[Callable[[Actor, AuditFilters], Any], Callable[[Any], Iterator[Any]]]] = {
    CASE_EVENTS: (_case_events_select, _case_event_rows),
    ADMIN_EVENTS: (_admin_events_select, _admin_event_rows),
    PERSONAL_VIEWS: (_views_select, _view_rows),
}


def search(
    session: Session,
    actor: Actor,
    kind: str,
    filters: AuditFilters,
    *,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """One page of the audit trail of `kind`, newest first, within the actor's jurisdiction."""
    if kind not in _QUERIES:
        raise ValueError(f"unknown audit kind {kind!r}")
    build, convert = _QUERIES[kind]
    stmt = build(actor, filters)
    total = int(
        session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )
    page = max(1, page)
    result = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    private = _private(actor)
    rows = [private(row) for row in convert(result)]
    return AuditPage(rows, total, page, per_page, kind=kind)


# --- CSV export ---------------------------------------------------------------------------------


def _stamp(value: datetime) -> str:
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


_COLUMNS: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    CASE_EVENTS: [
        ("时间", lambda r: _stamp(r.at)),
        ("案件编号", lambda r: r.case_no),
        ("家庭编号", lambda r: r.household_id),
        ("户主", lambda r: r.head_name),
        ("操作人", lambda r: r.user_name),
        ("角色", lambda r: r.role),
        ("操作", lambda r: r.trigger_label),
        ("操作代码", lambda r: r.trigger),
        ("原环节", lambda r: r.from_state_label),
        ("新环节", lambda r: r.to_state_label),
    ],
    ADMIN_EVENTS: [
        ("时间", lambda r: _stamp(r.at)),
        ("操作人", lambda r: r.user_name),
        ("操作", lambda r: r.action_label),
        ("操作代码", lambda r: r.action),
        ("对象", lambda r: r.subject),
    ],
    PERSONAL_VIEWS: [
        ("时间", lambda r: _stamp(r.at)),
        ("查看人", lambda r: r.user_name),
        ("查看内容", lambda r: r.field_label),
        ("家庭编号", lambda r: r.household_id or ""),
        ("户主", lambda r: r.head_name),
        ("案件编号", lambda r: r.case_no),
        ("用途", lambda r: r.purpose),
    ],
}


def export_csv(session: Session, actor: Actor, kind: str, filters: AuditFilters) -> str:
    """The filtered rows (newest first, at most EXPORT_LIMIT) as CSV text starting with a BOM."""
    if kind not in _QUERIES:
        raise ValueError(f"unknown audit kind {kind!r}")
    build, convert = _QUERIES[kind]
    columns = _COLUMNS[kind]
    out = io.StringIO()
    writer = CsvWriter(out)  # BOM, and formula-like cells made plain text
    writer.writerow([name for name, _ in columns])
    result = session.execute(build(actor, filters).limit(EXPORT_LIMIT))
    private = _private(actor)
    for row in map(private, convert(result)):
        writer.writerow([str(get(row)) for _, get in columns])
    return out.getvalue()
