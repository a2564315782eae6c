"""Screening campaigns (排查摸底) on SQLite and PostgreSQL: creation with field errors, progress
math from the ledger's action records, jurisdiction in SQL, escalation of a missed stage on the
official working-day calendar (National Day 2026 and its make-up Saturday), idempotent, through the
sweep, and the CLI."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from support import SH, T0, World

from caseflow.accounts.users import new_user
from caseflow.campaigns.escalation import (
    LEVEL_DISTRICT,
    LEVEL_TOWNSHIP,
    escalate_campaigns,
    rung_due_at,
)
from caseflow.campaigns.models import Campaign, CampaignEscalation, CampaignStage
from caseflow.campaigns.progress import UNKNOWN_TOWNSHIP, township_progress
from caseflow.campaigns.service import StageInput, create_campaign, link_run, parse_stages_spec
from caseflow.cli.main import main
from caseflow.clock.calendar_store import load_calendar
from caseflow.db.engine import make_session_factory
from caseflow.db.models import AdminEvent, ComparisonResult, ComparisonRun, Notification, User
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import PayloadInvalid, PermissionDenied
from caseflow.kernel.roles import Role
from caseflow.ledger.actions import NO_ACTION, take_action
from caseflow.timer.sweep import sweep

STAGES = [
    StageInput("摸清底数", "2026-09-01", "2026-09-10", "30"),
    StageInput("信息比对", "2026-09-11", "2026-09-20", "60"),
    StageInput("全面完成衔接", "2026-09-21", "2026-09-30", ""),
]


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH)


def make_run(world: World, rows: dict[str | None, tuple[int, int]]) -> ComparisonRun:
    """A comparison run whose rows per township code are (resolved, total)."""
    s = world.session
    run = ComparisonRun(
        registry_import_id=_registry_import(world),
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
                    household_key=f"P{run.id:04d}{n:08d}",
                    category="C4",
                    evidence={"reasons": ["测试"]},
                    head_name=f"户主{n}",
                    township_code=code,
                    village="示例村",
                    action=NO_ACTION if i < resolved else "none",
                    action_reason="测试：已核实" if i < resolved else "",
                )
            )
    s.commit()
    return run


def _registry_import(world: World) -> int:
    from caseflow.db.models import RosterImport

    imp = RosterImport(
        kind="registry",
        file_name="registry.csv",
        sha256="0" * 64,
        imported_at=T0,
        rows_total=0,
        rows_imported=0,
        rows_skipped=0,
        notices=0,
        status="complete",
    )
    world.session.add(imp)
    world.session.flush()
    return imp.id


def add_other_leader(world: World) -> User:
    user = new_user(
        "other_leader", "other_leader", world.other_township, [Role.TOWNSHIP_LEADER], T0
    )
    world.session.add(user)
    world.session.commit()
    world.users["other_leader"] = user
    return user


def campaign_with(world: World, run: ComparisonRun, stages: list[StageInput] = STAGES) -> Campaign:
    return create_campaign(
        world.session,
        world.actor("supervisor"),
        "2026 年下半年排查摸底",
        stages,
        T0,
        comparison_run_id=str(run.id),
    )


def inbox(world: World, username: str) -> list[Notification]:
    world.session.rollback()  # a fresh snapshot (SQLite WAL readers keep theirs)
    return list(
        world.session.scalars(
            select(Notification)
            .where(Notification.user_id == world.users[username].id)
            .order_by(Notification.id)
        )
    )


# ------------------------------------------------------------------ creation


def test_create_stores_stages_in_order_and_logs(world: World) -> None:
    run = make_run(world, {"640502100": (0, 2)})
    c = campaign_with(world, run)
    assert [s.name for s in c.stages] == ["摸清底数", "信息比对", "全面完成衔接"]
    assert [s.target_percent for s in c.stages] == [30, 60, 100]
    assert c.stages[2].ends_on == date(2026, 9, 30)
    logged = world.session.scalars(
        select(AdminEvent).where(AdminEvent.action == "campaign.create")
    ).one()
    assert logged.payload["comparison_run_id"] == run.id


@pytest.mark.parametrize(
    ("stages", "field", "words"),
    [
        ([], "stages", "至少需要一个阶段"),
        ([StageInput("", "2026-09-01", "2026-09-10")], "stage1_name", "缺少名称"),
        ([StageInput("摸清底数", "2026-9-1x", "2026-09-10")], "stage1_starts_on", "年-月-日"),
        ([StageInput("摸清底数", "2026-09-10", "2026-09-01")], "stage1_ends_on", "不能早于"),
        (
            [
                StageInput("摸清底数", "2026-09-01", "2026-09-10"),
                StageInput("信息比对", "2026-09-10", "2026-09-20"),
            ],
            "stage2_starts_on",
            "上一阶段结束",
        ),
        (
            [
                StageInput("摸清底数", "2026-09-01", "2026-09-10"),
                StageInput("摸清底数", "2026-09-11", "2026-09-20"),
            ],
            "stage2_name",
            "重复",
        ),
        ([StageInput("摸清底数", "2026-09-01", "2026-09-10", "101")], "stage1_target", "1–100"),
        (
            [
                StageInput("摸清底数", "2026-09-01", "2026-09-10", "80"),
                StageInput("信息比对", "2026-09-11", "2026-09-20", "50"),
            ],
            "stage2_target",
            "不能低于",
        ),
    ],
)
def test_bad_stages_are_refused_field_by_field(
    world: World, stages: list[StageInput], field: str, words: str
) -> None:
    with pytest.raises(PayloadInvalid) as caught:
        create_campaign(world.session, world.actor("supervisor"), "活动", stages, T0)
    assert words in caught.value.fields[field]
    world.session.rollback()
    assert world.session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert world.session.scalar(select(func.count()).select_from(CampaignStage)) == 0


def test_every_wrong_field_is_reported_at_once(world: World) -> None:
    campaign_with(world, make_run(world, {}))
    with pytest.raises(PayloadInvalid) as caught:
        create_campaign(
            world.session,
            world.actor("approver"),
            "2026 年下半年排查摸底",
            [StageInput("摸清底数", "x", "2026-09-10")],
            T0,
            comparison_run_id="999999",
            district_after_working_days="-1",
        )
    fields = caught.value.fields
    assert set(fields) == {
        "name",
        "stage1_starts_on",
        "comparison_run_id",
        "district_after_working_days",
    }
    assert "同名" in fields["name"]


def test_only_district_campaign_roles_may_create(world: World) -> None:
    for name in ("leader", "clerk", "finance"):
        with pytest.raises(PermissionDenied):
            create_campaign(world.session, world.actor(name), "活动", STAGES, T0)
    # A supervisor role held at a township does not reach the district's campaigns either.
    township_supervisor = Actor(999, "x", frozenset({Role.SUPERVISOR}), world.township.path)
    with pytest.raises(PermissionDenied):
        create_campaign(world.session, township_supervisor, "活动", STAGES, T0)


def test_stage_spec_of_the_cli() -> None:
    parsed = parse_stages_spec("摸清底数:2026-09-01:2026-09-10:30，信息比对：2026-09-11:2026-09-20")
    assert parsed == [
        StageInput("摸清底数", "2026-09-01", "2026-09-10", "30"),
        StageInput("信息比对", "2026-09-11", "2026-09-20"),
    ]
    with pytest.raises(PayloadInvalid):
        parse_stages_spec("摸清底数:2026-09-01")


# ------------------------------------------------------------------ progress


def test_progress_counts_actions_and_no_action_with_reason(world: World) -> None:
    run = make_run(world, {"640502100": (1, 3), "640502101": (2, 2), None: (0, 1)})
    everyone = {
        p.name: (p.resolved, p.total, p.percent)
        for p in township_progress(world.session, run.id, world.district.path)
    }
    assert everyone == {"滨河镇": (1, 3, 33), "文昌镇": (2, 2, 100), UNKNOWN_TOWNSHIP: (0, 1, 0)}
    # A real "no action with a reason" through the ledger's action moves the count.
    row = world.session.scalars(
        select(ComparisonResult).where(
            ComparisonResult.run_id == run.id,
            ComparisonResult.township_code == "640502100",
            ComparisonResult.action == "none",
        )
    ).first()
    assert row is not None
    take_action(world.session, row.id, NO_ACTION, world.actor("leader"), T0, reason="已外出务工")
    own = township_progress(world.session, run.id, world.township.path)
    assert [(p.name, p.resolved, p.total) for p in own] == [("滨河镇", 2, 3)]


def test_township_sees_only_its_own_progress(world: World) -> None:
    run = make_run(world, {"640502100": (1, 2), "640502101": (0, 4), None: (0, 1)})
    own = township_progress(world.session, run.id, world.actor("clerk").org_path)
    assert [p.code for p in own] == ["640502100"]
    other = township_progress(world.session, run.id, world.other_township.path)
    assert [(p.code, p.total) for p in other] == [("640502101", 4)]


def test_percent_and_target_use_exact_integers(world: World) -> None:
    run = make_run(world, {"640502100": (2, 3)})
    (p,) = township_progress(world.session, run.id, "/")
    assert p.percent == 66
    assert p.meets(66) and not p.meets(67)


# ------------------------------------------------------------------ escalation


def test_missed_stage_escalates_on_the_working_day_calendar(world: World, engine: Engine) -> None:
    add_other_leader(world)
    run = make_run(world, {"640502100": (1, 4), "640502101": (3, 3)})
    c = campaign_with(world, run)
    factory = make_session_factory(engine)
    # Before the last stage ends: stages 1 and 2 (30 %, 60 %) were missed by 滨河镇 (25 %).
    assert escalate_campaigns(factory, at(date(2026, 9, 12))) == 1  # stage 1's end: leader only
    assert [n.kind for n in inbox(world, "leader")] == ["overdue"]
    assert "摸清底数" in inbox(world, "leader")[0].title
    assert inbox(world, "other_leader") == []  # 文昌镇 is done
    # Stage 3 ends on 30 September; National Day runs 1–7 October, 10 October is a make-up
    # working day: three working days after the end are 8, 9 and 10 October.
    cal = load_calendar(world.session)
    stage3 = c.stages[2]
    assert rung_due_at(cal, stage3, c, LEVEL_DISTRICT) == datetime(
        2026, 10, 10, 23, 59, 59, 999999, tzinfo=SH
    )
    escalate_campaigns(factory, at(date(2026, 10, 1)))
    levels = _levels(world)
    assert levels[(stage3.id, LEVEL_TOWNSHIP)] and (stage3.id, LEVEL_DISTRICT) not in levels
    escalate_campaigns(factory, at(date(2026, 10, 10), 20))  # the make-up Saturday: not yet
    assert (stage3.id, LEVEL_DISTRICT) not in _levels(world)
    assert not [n for n in inbox(world, "supervisor") if "全面完成衔接" in n.title]
    escalate_campaigns(factory, at(date(2026, 10, 11)))
    assert (stage3.id, LEVEL_DISTRICT) in _levels(world)
    to_district = [n for n in inbox(world, "supervisor") if "全面完成衔接" in n.title]
    assert len(to_district) == 1 and to_district[0].kind == "escalated"
    assert "1/4" in to_district[0].body and "滨河镇" in to_district[0].title
    assert inbox(world, "other_leader") == []


def test_escalation_is_idempotent_and_reached_once(world: World, engine: Engine) -> None:
    run = make_run(world, {"640502100": (0, 2)})
    campaign_with(world, run, [StageInput("全面完成衔接", "2026-09-21", "2026-09-30")])
    factory = make_session_factory(engine)
    later = at(date(2026, 10, 20))
    assert escalate_campaigns(factory, later) == 2  # both rungs are due by now
    for _ in range(3):
        assert escalate_campaigns(factory, later + timedelta(days=1)) == 0
    assert len(inbox(world, "leader")) == 1
    assert len(inbox(world, "supervisor")) == 1
    assert world.session.scalar(select(func.count()).select_from(CampaignEscalation)) == 2


def test_work_finished_in_time_does_not_escalate(world: World, engine: Engine) -> None:
    run = make_run(world, {"640502100": (2, 2)})
    campaign_with(world, run)
    assert escalate_campaigns(make_session_factory(engine), at(date(2026, 11, 1))) == 0
    assert inbox(world, "leader") == []


def test_no_run_linked_means_nothing_to_escalate_until_linked(world: World, engine: Engine) -> None:
    run = make_run(world, {"640502100": (0, 1)})
    c = create_campaign(world.session, world.actor("supervisor"), "活动", STAGES, T0)
    factory = make_session_factory(engine)
    assert escalate_campaigns(factory, at(date(2026, 10, 20))) == 0
    link_run(world.session, world.actor("approver"), c.id, str(run.id), T0)
    assert escalate_campaigns(factory, at(date(2026, 10, 20))) > 0


def test_the_sweep_escalates_campaigns(world: World, engine: Engine) -> None:
    run = make_run(world, {"640502100": (0, 1)})
    campaign_with(world, run, [StageInput("全面完成衔接", "2026-09-21", "2026-09-30")])
    report = sweep(make_session_factory(engine), at(date(2026, 10, 2)))
    assert report.levels_reached == 1
    assert [n.kind for n in inbox(world, "leader")] == ["overdue"]
    again = sweep(make_session_factory(engine), at(date(2026, 10, 2), 10))
    assert again.levels_reached == 0


def _levels(world: World) -> dict[tuple[int, int], CampaignEscalation]:
    world.session.rollback()  # a fresh snapshot (SQLite WAL readers keep theirs)
    return {(e.stage_id, e.level): e for e in world.session.scalars(select(CampaignEscalation))}


# ------------------------------------------------------------------ CLI


def test_cli_create_and_status(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = make_run(world, {"640502100": (1, 2), "640502101": (0, 3)})
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    bad = runner.invoke(
        main,
        [
            "campaign",
            "create",
            "--name",
            "活动",
            "--stages",
            "摸清底数:2026-09-10:2026-09-01",
            "--user",
            "supervisor",
        ],
    )
    assert bad.exit_code == 1 and "不能早于开始日期" in bad.output
    ok = runner.invoke(
        main,
        [
            "campaign",
            "create",
            "--name",
            "2026 下半年",
            "--run",
            str(run.id),
            "--user",
            "supervisor",
            "--stages",
            "摸清底数:2026-09-01:2026-09-10:30,信息比对:2026-09-11:2026-09-20:60,"
            "全面完成衔接:2026-09-21:2026-09-30",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "3 个阶段" in ok.output
    status = runner.invoke(main, ["campaign", "status"])
    assert status.exit_code == 0, status.output
    assert "滨河镇" in status.output and "1/2" in status.output and "文昌镇" in status.output
    own = runner.invoke(main, ["campaign", "status", "--user", "clerk"])
    assert "滨河镇" in own.output and "文昌镇" not in own.output
    refused = runner.invoke(
        main,
        [
            "campaign",
            "create",
            "--name",
            "x",
            "--stages",
            "a:2026-09-01:2026-09-02",
            "--user",
            "clerk",
        ],
    )
    assert refused.exit_code == 1 and "区级" in refused.output
