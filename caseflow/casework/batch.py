"""Batch sign-off: one trigger over many cases, each through `engine.fire` with its own checks
and its own values (a payload per case: a batch never carries one amount, class or person count
for every case — caseflow.read.batch_plan works each case's values out).

Every case is its own unit of work (fire's, which also ends the reads before it): a refused
case (wrong state, a guard, separation of duties, claimed by a colleague, a stale version) is
reported with its reason and does not hold back the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import Case, User
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.fire import fire
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseflowError, CaseNotFound, ClaimConflict
from caseflow.kernel.timeutil import require_aware
from caseflow.workflow.registry import registry

MAX_BATCH = 200


@dataclass(frozen=True)
class BatchOutcome:
    case_id: int
    case_no: str
    ok: bool
    message_zh: str


def _claimed_by_other(session: Session, case_id: int, actor: Actor) -> str | None:
    row = session.execute(
        select(Case.assignee_id, User.display_name)
        .outerjoin(User, User.id == Case.assignee_id)
        .where(Case.id == case_id)
    ).first()
    if row is None or row[0] is None or row[0] == actor.user_id:
        return None
    return str(row[1] or "他人")


def fire_batch(
    session: Session,
    case_ids: Sequence[int],
    trigger: str,
    actor: Actor,
    now: datetime,
    payloads: Mapping[int, Mapping[str, Any]],
    *,
    expected_versions: Mapping[int, int] | None = None,
    refused: Mapping[int, str] | None = None,
) -> list[BatchOutcome]:
    """Fire `trigger` on each case in turn with that case's own payload; one outcome per case,
    in the order given. A case in `refused` (or without a payload) is reported, not fired."""
    require_aware(now, "now")
    ids = list(dict.fromkeys(case_ids))[:MAX_BATCH]
    visible = {
        row.id: (row.case_no, row.workflow_key)
        for row in session.execute(
            select(Case.id, Case.case_no, Case.workflow_key).where(
                Case.id.in_(ids), in_jurisdiction(Case.org_path, actor)
            )
        )
    }
    outcomes: list[BatchOutcome] = []
    for case_id in ids:
        if case_id not in visible:
            outcomes.append(BatchOutcome(case_id, "", False, CaseNotFound.message_zh))
            continue
        case_no, wf_key = visible[case_id]
        reason = (refused or {}).get(case_id)
        if reason is None and case_id not in payloads:
            reason = "该案件没有核定的办理内容，未办理"
        if reason is not None:
            outcomes.append(BatchOutcome(case_id, case_no, False, reason))
            continue
        try:
            holder = _claimed_by_other(session, case_id, actor)
            if holder is not None:
                raise ClaimConflict(f"该案件已由「{holder}」认领，请由认领人办理")
            result = fire(
                session,
                case_id,
                trigger,
                actor,
                now,
                payloads[case_id],
                expected_version=(expected_versions or {}).get(case_id),
            )
            state = registry().workflow(wf_key).states[result.to_state].label
            done = f"已办理，案件进入「{state}」"
            outcomes.append(BatchOutcome(case_id, case_no, True, done))
        except CaseflowError as exc:
            outcomes.append(BatchOutcome(case_id, case_no, False, exc.message_zh))
    return outcomes
