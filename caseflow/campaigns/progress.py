"""Per-township progress of a campaign: comparison rows resolved / total, counted in SQL and
limited to the viewer's jurisdiction in the same query.

A row is resolved when an action was recorded for it — a case opened, an invitation, a
reconciliation, or "no action" with its reason (the ledger's action records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import DISTRICT
from caseflow.campaigns.models import Campaign, CampaignStage
from caseflow.db.models import ComparisonResult, OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.ledger.compare import NO_ACTION_YET

UNKNOWN_TOWNSHIP = "未识别乡镇"


@dataclass(frozen=True)
class TownshipProgress:
    """Rows of one township in the linked run (code None: the township was not recognised)."""

    code: str | None
    name: str
    resolved: int
    total: int

    @property
    def percent(self) -> int:
        """Whole percent resolved, rounded down (100 only when every row is resolved)."""
        return 100 if self.total == 0 else self.resolved * 100 // self.total

    def meets(self, target_percent: int) -> bool:
        """Whether the share resolved reaches the target (exact integer arithmetic)."""
        return self.resolved * 100 >= target_percent * self.total


def township_progress(session: Session, run_id: int, scope_path: str) -> list[TownshipProgress]:
    """Resolved / total per township of `run_id`, only townships inside `scope_path`.

    Rows whose township is unknown belong to the district (only district staff see them)."""
    district_path = f"/{DISTRICT[0]}/"
    township = and_(OrgUnit.code == ComparisonResult.township_code, OrgUnit.level == "township")
    resolved = func.sum(case((ComparisonResult.action != NO_ACTION_YET, 1), else_=0))
    rows = session.execute(
        select(ComparisonResult.township_code, OrgUnit.name, resolved, func.count())
        .outerjoin(OrgUnit, township)
        .where(
            ComparisonResult.run_id == run_id,
            in_jurisdiction(func.coalesce(OrgUnit.path, district_path), scope_path),
        )
        .group_by(ComparisonResult.township_code, OrgUnit.name)
        .order_by(ComparisonResult.township_code)
    ).all()
    found: list[TownshipProgress] = []
    unknown_done = unknown_total = 0
    for code, name, done, total in rows:
        if name is None:  # several unrecognised codes (or none) make one district-level line
            unknown_done, unknown_total = unknown_done + int(done or 0), unknown_total + total
        else:
            found.append(TownshipProgress(code, name, int(done or 0), int(total)))
    if unknown_total:
        found.append(TownshipProgress(None, UNKNOWN_TOWNSHIP, unknown_done, unknown_total))
    return found


def current_stage(campaign: Campaign, today: date) -> CampaignStage | None:
    """The stage under way today, else the next one; None after the last stage has ended."""
    for stage in campaign.stages:
        if today <= stage.ends_on:
            return stage
    return None


def campaigns(session: Session) -> list[Campaign]:
    """Every campaign, newest first (campaigns are district-wide; progress is scoped)."""
    return list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc())))
