"""Create a campaign from form or command-line input, checked field by field; link its run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import DISTRICT
from caseflow.campaigns.models import Campaign, CampaignStage
from caseflow.db.models import ComparisonRun
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.kernel.timeutil import require_aware

# The founding plan's stages, in order (offered as the default of the form).
STANDARD_STAGES = ("摸清底数", "信息比对", "全面完成衔接")
# District staff who run campaigns; township staff only see their own progress.
CREATE_ROLES = frozenset({Role.DISTRICT_APPROVER, Role.SUPERVISOR})
MAX_STAGES = 10
MAX_ESCALATION_DAYS = 30


@dataclass(frozen=True)
class StageInput:
    """One stage as typed: name, dates as YYYY-MM-DD, target percent (blank = 100)."""

    name: str
    starts_on: str
    ends_on: str
    target_percent: str = ""


def may_create(actor: Actor) -> bool:
    """District-level staff with a campaign role."""
    district = f"/{DISTRICT[0]}/"
    return bool(actor.roles & CREATE_ROLES) and district.startswith(actor.org_path)


def parse_stages_spec(text: str) -> list[StageInput]:
    """`名称:开始:结束[:目标%]` separated by commas (the CLI form); raises PayloadInvalid."""
    stages = []
    for i, part in enumerate(p for p in text.replace("，", ",").split(",") if p.strip()):
        bits = [b.strip() for b in part.replace("：", ":").split(":")]
        if len(bits) not in (3, 4):
            raise PayloadInvalid(
                {"stages": f"第 {i + 1} 个阶段应写成 名称:开始日期:结束日期[:目标百分比]"}
            )
        stages.append(StageInput(*bits))
    return stages


def typed_date(text: str) -> date | None:
    """A date typed as YYYY-MM-DD, or None."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def typed_int(text: str, low: int, high: int) -> int | None:
    """A whole number typed in ASCII digits within [low, high], or None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        return None
    return int(text)


def _check_stages(stages: Sequence[StageInput], errors: dict[str, str]) -> list[CampaignStage]:
    if not stages:
        errors["stages"] = "至少需要一个阶段"
        return []
    if len(stages) > MAX_STAGES:
        errors["stages"] = f"阶段不能超过 {MAX_STAGES} 个"
        return []
    clean: list[CampaignStage] = []
    seen: set[str] = set()
    previous_end: date | None = None
    previous_target = 0
    for i, stage in enumerate(stages, start=1):
        key = f"stage{i}"
        name = stage.name.strip()
        if not name:
            errors[f"{key}_name"] = f"第 {i} 阶段缺少名称"
        elif len(name) > 40:
            errors[f"{key}_name"] = f"第 {i} 阶段名称不能超过 40 个字"
        elif name in seen:
            errors[f"{key}_name"] = f"阶段名称「{name}」重复"
        seen.add(name)
        start, end = typed_date(stage.starts_on), typed_date(stage.ends_on)
        if start is None:
            errors[f"{key}_starts_on"] = f"第 {i} 阶段开始日期应为 年-月-日（如 2026-03-01）"
        elif previous_end is not None and start <= previous_end:
            errors[f"{key}_starts_on"] = f"第 {i} 阶段应在上一阶段结束（{previous_end}）之后开始"
        if end is None:
            errors[f"{key}_ends_on"] = f"第 {i} 阶段结束日期应为 年-月-日（如 2026-03-31）"
        elif start is not None and end < start:
            errors[f"{key}_ends_on"] = f"第 {i} 阶段结束日期不能早于开始日期"
        target = typed_int(stage.target_percent or "100", 1, 100)
        if target is None:
            errors[f"{key}_target"] = f"第 {i} 阶段目标应为 1–100 的整数（百分比）"
        elif target < previous_target:
            errors[f"{key}_target"] = f"第 {i} 阶段目标不能低于上一阶段（{previous_target}%）"
        previous_end = end or previous_end
        previous_target = target or previous_target
        if start and end and target:
            clean.append(
                CampaignStage(
                    position=i, name=name, starts_on=start, ends_on=end, target_percent=target
                )
            )
    return clean


def create_campaign(
    session: Session,
    actor: Actor,
    name: str,
    stages: Sequence[StageInput],
    now: datetime,
    *,
    comparison_run_id: str = "",
    district_after_working_days: str = "3",
) -> Campaign:
    """Check every field (PayloadInvalid lists them all), store and log the campaign."""
    require_aware(now, "now")
    if not may_create(actor):
        raise PermissionDenied("只有区级民政审批或督查人员可以创建排查摸底活动")
    with UnitOfWork(session) as uow:
        errors: dict[str, str] = {}
        name = " ".join(name.split())
        if not name:
            errors["name"] = "请填写活动名称（如 2026 年上半年排查摸底）"
        elif len(name) > 100:
            errors["name"] = "活动名称不能超过 100 个字"
        elif session.scalar(select(func.count()).where(Campaign.name == name)):
            errors["name"] = "已有同名的排查摸底活动"
        clean = _check_stages(stages, errors)
        run_id = _run_id(session, comparison_run_id, errors)
        days = typed_int(district_after_working_days or "3", 0, MAX_ESCALATION_DAYS)
        if days is None:
            errors["district_after_working_days"] = f"应为 0–{MAX_ESCALATION_DAYS} 的整数（工作日）"
        if errors:
            raise PayloadInvalid(errors)
        assert days is not None
        campaign = Campaign(
            name=name,
            comparison_run_id=run_id,
            district_after_working_days=days,
            created_at=now,
            created_by_id=actor.user_id,
            stages=clean,
        )
        session.add(campaign)
        session.flush()
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="campaign.create",
            subject=f"campaign:{campaign.id}",
            payload={
                "name": name,
                "comparison_run_id": run_id,
                "district_after_working_days": days,
                "stages": [
                    [s.name, s.starts_on.isoformat(), s.ends_on.isoformat(), s.target_percent]
                    for s in clean
                ],
            },
            at=now,
        )
        uow.commit()
    return campaign


def _run_id(session: Session, text: str, errors: dict[str, str]) -> int | None:
    text = text.strip()
    if not text:
        return None
    run_id = typed_int(text, 1, 2**31 - 1)
    if run_id is None or session.get(ComparisonRun, run_id) is None:
        errors["comparison_run_id"] = f"比对批次「{text[:20]}」不存在"
        return None
    return run_id


def link_run(session: Session, actor: Actor, campaign_id: int, run_id: str, now: datetime) -> None:
    """Attach (or replace) the comparison run whose rows the campaign's townships work through."""
    if not may_create(actor):
        raise PermissionDenied("只有区级民政审批或督查人员可以关联比对批次")
    with UnitOfWork(session) as uow:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CaseNotFound("排查摸底活动不存在")
        errors: dict[str, str] = {}
        found = _run_id(session, run_id, errors)
        if found is None:
            raise PayloadInvalid(errors or {"comparison_run_id": "请填写比对批次号"})
        campaign.comparison_run_id = found
        append_admin_event(
            session,
            actor_id=actor.user_id,
            action="campaign.link_run",
            subject=f"campaign:{campaign.id}",
            payload={"comparison_run_id": found},
            at=now,
        )
        uow.commit()
