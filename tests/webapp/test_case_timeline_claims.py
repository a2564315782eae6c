"""Claiming and releasing a case read in Chinese on its timeline, and change neither its state
nor its version — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.db.models import Case, CaseEvent
from caseflow.workflow.registry import registry


def _case_in(world: World, state: str, workflow: str = "dibao") -> tuple[Case, Walker]:
    walker = Walker(world, T0)
    return walker.to_state(registry().workflow(workflow), state), walker


def test_claim_and_release_read_in_chinese_on_the_timeline(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case, _ = _case_in(world, "district_review")
    version = case.version
    auth.login("approver")
    assert client.post(f"/queue/{case.id}/claim").status_code == 303
    body = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = body[body.index("办理记录") :]
    assert "认领（开始办理）" in timeline and "approver（区民政审批）" in timeline
    assert re.search(r"<dt>办理环节</dt><dd>区级审核确认</dd>", timeline)
    assert "claim" not in timeline  # no raw trigger names
    assert client.post(f"/queue/{case.id}/release").status_code == 303
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = timeline[timeline.index("办理记录") :]
    # Newest first: the release above the claim.
    assert timeline.index("释放认领（放回待办）") < timeline.index("认领（开始办理）")
    assert "release" not in timeline
    # Claims are recorded events, not state changes: state and version are untouched.
    world.session.rollback()  # a fresh snapshot: the web app wrote through its own connection
    stored = world.session.get(Case, case.id)
    assert stored is not None and stored.state == "district_review" and stored.version == version
    triggers = world.session.scalars(
        select(CaseEvent.trigger).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)
    ).all()
    assert triggers[-2:] == ["claim", "release"]
