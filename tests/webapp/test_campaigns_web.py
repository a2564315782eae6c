"""排查摸底 pages: progress bars per township within jurisdiction, the create form for district
staff with field-by-field Chinese errors, and refusals for everyone else."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import T0, World
from websupport import AuthActions

from caseflow.campaigns.models import Campaign, CampaignStage
from caseflow.campaigns.service import StageInput, create_campaign
from caseflow.db.models import ComparisonResult, ComparisonRun, RosterImport


def make_run(world: World, rows: dict[str, tuple[int, int]]) -> int:
    """A comparison run whose rows per township code are (resolved, total)."""
    s = world.session
    imp = RosterImport(
        kind="registry",
        file_name="r.csv",
        sha256="0" * 64,
        imported_at=T0,
        rows_total=0,
        rows_imported=0,
        rows_skipped=0,
        notices=0,
        status="complete",
    )
    s.add(imp)
    s.flush()
    run = ComparisonRun(
        registry_import_id=imp.id,
        roster_import_ids=[],
        include_system_cases=False,
        policy_effective_from=date(2026, 1, 1),
        created_at=T0,
        counts={},
    )
    s.add(run)
    s.flush()
    n = 0
    for code, (resolved, total) in rows.items():
        for i in range(total):
            n += 1
            s.add(
                ComparisonResult(
                    run_id=run.id,
                    household_key=f"W{n:08d}",
                    category="C4",
                    evidence={},
                    head_name=f"户主{n}",
                    township_code=code,
                    village="示例村",
                    action="no_action" if i < resolved else "none",
                    action_reason="已核实" if i < resolved else "",
                )
            )
    s.commit()
    return run.id


def seed_campaign(world: World) -> Campaign:
    run_id = make_run(world, {"640502100": (1, 4), "640502101": (3, 3)})
    return create_campaign(
        world.session,
        world.actor("supervisor"),
        "2026 年上半年排查摸底",
        [
            StageInput("摸清底数", "2026-03-01", "2026-03-20", "20"),
            StageInput("信息比对", "2026-03-21", "2026-04-10", "60"),
            StageInput("全面完成衔接", "2026-04-11", "2026-05-31"),
        ],
        T0,
        comparison_run_id=str(run_id),
    )


def progress_rows(html: str) -> dict[str, str]:
    """township code → the row's text (tags stripped)."""
    found = re.findall(r'<tr data-township="(\d*)">(.*?)</tr>', html, re.S)
    return {code: " ".join(re.sub(r"<[^>]+>", " ", body).split()) for code, body in found}


def count(world: World, model: type) -> int:
    world.session.rollback()
    return int(world.session.scalar(select(func.count()).select_from(model)) or 0)


def test_district_sees_every_township_with_bars(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    seed_campaign(world)
    auth.login("supervisor")
    html = client.get("/campaigns").get_data(as_text=True)
    rows = progress_rows(html)
    assert set(rows) == {"640502100", "640502101"}
    assert "1 / 4" in rows["640502100"] and "25%" in rows["640502100"]
    assert "3 / 3" in rows["640502101"] and "100%" in rows["640502101"]
    assert '<progress value="1" max="4"' in html
    assert "当前阶段：<strong>摸清底数</strong>" in html  # T0 is 2 March 2026
    assert "未达本阶段目标" not in rows["640502101"]
    assert "新建排查摸底活动" in html
    assert 'href="/campaigns"' in html  # the nav link


def test_township_sees_only_its_own_progress(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    seed_campaign(world)
    auth.login("leader")
    html = client.get("/campaigns").get_data(as_text=True)
    assert set(progress_rows(html)) == {"640502100"}
    assert "文昌镇" not in html
    assert "新建排查摸底活动" not in html
    auth.logout()
    auth.login("other_clerk")
    assert set(progress_rows(client.get("/campaigns").get_data(as_text=True))) == {"640502101"}


def test_create_through_the_form(world: World, client: FlaskClient, auth: AuthActions) -> None:
    run_id = make_run(world, {"640502100": (0, 1)})
    auth.login("approver")
    form = client.get("/campaigns/new").get_data(as_text=True)
    assert 'value="摸清底数"' in form and 'value="全面完成衔接"' in form
    response = client.post(
        "/campaigns/new",
        data={
            "name": "2026 年下半年排查摸底",
            "comparison_run_id": str(run_id),
            "district_after_working_days": "3",
            "stage1_name": "摸清底数",
            "stage1_starts_on": "2026-09-01",
            "stage1_ends_on": "2026-09-10",
            "stage1_target": "30",
            "stage2_name": "信息比对",
            "stage2_starts_on": "2026-09-11",
            "stage2_ends_on": "2026-09-20",
            "stage3_name": "全面完成衔接",
            "stage3_starts_on": "2026-09-21",
            "stage3_ends_on": "2026-09-30",
        },
    )
    assert response.status_code == 303
    world.session.rollback()
    stored = world.session.scalars(select(Campaign)).one()
    assert stored.comparison_run_id == run_id
    assert [(s.name, s.target_percent) for s in stored.stages] == [
        ("摸清底数", 30),
        ("信息比对", 100),
        ("全面完成衔接", 100),
    ]
    assert "已创建排查摸底活动" in client.get("/campaigns").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "请填写活动名称"),
        ({"stage1_ends_on": "2026-08-01"}, "结束日期不能早于开始日期"),
        ({"stage2_starts_on": "2026-09-05"}, "应在上一阶段结束（2026-09-10）之后开始"),
        ({"stage2_name": "摸清底数"}, "阶段名称「摸清底数」重复"),
        ({"stage3_name": ""}, "第 3 阶段缺少名称"),
        ({"stage1_starts_on": "明天"}, "开始日期应为 年-月-日"),
        ({"stage1_target": "百分百"}, "1–100 的整数"),
        ({"comparison_run_id": "abc"}, "比对批次「abc」不存在"),
        ({"district_after_working_days": "99"}, "应为 0–30 的整数"),
        ({"stage4_name": "补充阶段", "stage4_starts_on": "2026-10-01"}, "第 4 阶段结束日期"),
    ],
)
def test_bad_input_shows_field_errors_and_changes_nothing(
    world: World, client: FlaskClient, auth: AuthActions, data: dict[str, str], message: str
) -> None:
    good = {
        "name": "活动",
        "district_after_working_days": "3",
        "stage1_name": "摸清底数",
        "stage1_starts_on": "2026-09-01",
        "stage1_ends_on": "2026-09-10",
        "stage2_name": "信息比对",
        "stage2_starts_on": "2026-09-11",
        "stage2_ends_on": "2026-09-20",
        "stage3_name": "全面完成衔接",
        "stage3_starts_on": "2026-09-21",
        "stage3_ends_on": "2026-09-30",
    }
    auth.login("supervisor")
    response = client.post("/campaigns/new", data={**good, **data})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="field-error"' in html
    for name, value in data.items():  # what was typed is shown again
        assert f'name="{name}" value="{value}"' in html
    assert count(world, Campaign) == count(world, CampaignStage) == 0


def test_township_staff_and_finance_may_not_create(
    world: World, client: FlaskClient, auth: AuthActions
) -> None:
    for username in ("leader", "finance"):
        auth.login(username)
        assert client.get("/campaigns/new").status_code == 403
        data = {"name": "x", "stage1_name": "a", "stage1_starts_on": "2026-09-01"}
        assert client.post("/campaigns/new", data=data).status_code == 403
        auth.logout()
    assert count(world, Campaign) == 0
    auth.login("finance")
    assert client.get("/campaigns").status_code == 403
