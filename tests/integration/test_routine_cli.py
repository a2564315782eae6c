"""`caseflow rounds …` and `caseflow training …`: the district's routine records from the command
line, through the same functions as the web pages; bad input refused in Chinese, nothing written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from support import World

from caseflow.accounts.training_models import TrainingAttendance, TrainingSession
from caseflow.campaigns.models import ScreeningRound
from caseflow.cli.main import main
from caseflow.clock.workcal import local_date
from caseflow.db.models import AdminEvent
from caseflow.kernel.timeutil import utcnow

LAST_YEAR = str(local_date(utcnow()).year - 1)  # both halves over, whatever today is


def run(engine: Engine, *args: str) -> tuple[int, str, str]:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.output


def _round(*extra: str) -> list[str]:
    return [
        "rounds",
        "record",
        "--township",
        "640502100",
        "--year",
        LAST_YEAR,
        "--half",
        "1",
        "--from",
        f"{LAST_YEAR}-03-02",
        "--to",
        f"{LAST_YEAR}-04-10",
        "--households",
        "120",
        *extra,
    ]


def _rounds(world: World) -> int:
    world.session.rollback()
    return world.session.scalar(select(func.count(ScreeningRound.id))) or 0


def test_a_round_is_recorded_and_listed_with_the_missed_flag(engine: Engine, world: World) -> None:
    code, out, _ = run(engine, *_round("--user", "reviewer", "--note", "全面入户排查"))
    assert code == 0, out
    assert f"已登记 {LAST_YEAR} 年上半年排查摸底" in out and "120 户" in out
    world.session.rollback()
    row = world.session.scalars(select(ScreeningRound)).one()
    assert (row.year, row.half, row.households_screened) == (int(LAST_YEAR), 1, 120)
    assert row.recorded_by_id == world.users["reviewer"].id
    assert "screening.round" in world.session.scalars(select(AdminEvent.action)).all()

    code, out, _ = run(engine, "rounds", "list", "--user", "supervisor", "--year", LAST_YEAR)
    assert code == 0, out
    lines = {line.split()[1]: line for line in out.splitlines()}
    # The first half held, the second missed: the township is flagged all the same.
    assert lines["640502100"].startswith("缺") and "上半年 已开展" in lines["640502100"]
    assert "下半年 逾期未开展" in lines["640502100"]
    assert lines["640502101"].startswith("缺") and "上半年 逾期未开展" in lines["640502101"]
    # A township leader sees the own township only.
    code, out, _ = run(engine, "rounds", "list", "--user", "leader", "--year", LAST_YEAR)
    assert code == 0 and "640502100" in out and "640502101" not in out


def test_a_bad_round_is_refused_field_by_field_and_nothing_is_written(
    engine: Engine, world: World
) -> None:
    bad = [
        "rounds", "record", "--user", "reviewer", "--township", "640502101", "--year", LAST_YEAR,
        "--half", "3", "--from", f"{LAST_YEAR}-02-30", "--to", "2999-01-01", "--households", "-5",
    ]  # fmt: skip
    code, out, output = run(engine, *bad)
    assert code == 1 and out == ""
    assert "填写有误" in output and "乡镇：请选择您辖区内的乡镇" in output
    assert "半年：请选择上半年或下半年" in output and "排查户数：" in output
    assert "开始日期：" in output and "结束日期：结束日期不能晚于今天" in output
    assert "Traceback" not in output
    # No right to record, an unknown user, a round already recorded: refused likewise.
    code, _, output = run(engine, *_round("--user", "clerk"))
    assert code == 1 and "只有乡镇审核" in output
    code, _, output = run(engine, *_round("--user", "nobody"))
    assert code == 1 and "用户不存在" in output
    assert _rounds(world) == 0
    assert run(engine, *_round("--user", "reviewer"))[0] == 0
    code, _, output = run(engine, *_round("--user", "approver"))
    assert code == 1 and "已登记" in output
    assert _rounds(world) == 1
    code, _, output = run(engine, "rounds", "list", "--user", "supervisor", "--year", "1999")
    assert code == 1 and "年度应为" in output


def _record(engine: Engine, *who: str, date: str = "") -> tuple[int, str, str]:
    held = date or f"{LAST_YEAR}-05-10"
    args = ["training", "record", "--user", "supervisor", "--date", held]
    args += ["--topic", "低保审核确认办法解读", "--trainer", "区民政局 张老师"]
    for name in who:
        args += ["--attendee", name]
    return run(engine, *args)


def test_training_session_attendance_and_the_untrained_report(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    code, out, _ = _record(engine, "clerk", "inv1")
    assert code == 0, out
    assert "参训 2 人" in out
    world.session.rollback()
    row = world.session.scalars(select(TrainingSession)).one()
    # Someone missing from the first list is added to the session afterwards.
    code, out, _ = run(
        engine, "training", "attend", str(row.id), "--user", "supervisor", "--attendee", "leader"
    )
    assert code == 0, out
    assert "补登参训人员 1 人" in out
    world.session.rollback()
    attended = world.session.scalars(
        select(TrainingAttendance.user_id).where(TrainingAttendance.session_id == row.id)
    ).all()
    assert set(attended) == {world.users[u].id for u in ("clerk", "inv1", "leader")}
    assert "training.attendance" in world.session.scalars(select(AdminEvent.action)).all()

    code, out, _ = run(engine, "training", "list", "--user", "supervisor", "--year", LAST_YEAR)
    assert code == 0 and f"[{row.id}]" in out and "参训 3 人" in out

    target = tmp_path / "untrained.csv"
    code, out, _ = run(
        engine, "training", "untrained", "--user", "supervisor", "--year", LAST_YEAR,
        "--export", str(target),
    )  # fmt: skip
    assert code == 0, out
    names = {line.split("（")[-1].rstrip("）") for line in out.splitlines() if "（" in line}
    assert {"clerk", "inv1", "leader"}.isdisjoint(names)
    assert {"reviewer", "inv2", "approver", "other_inv"} <= names and "admin" not in names
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["单位", "姓名", "账号"] and {r[2] for r in rows[1:]} == names
    book = tmp_path / "untrained.xlsx"
    code, out, _ = run(
        engine, "training", "untrained", "--user", "leader", "--year", LAST_YEAR,
        "--export", str(book),
    )  # fmt: skip
    assert code == 0, out
    sheet = load_workbook(book).active
    assert sheet is not None
    accounts = {r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert "reviewer" in accounts and "other_inv" not in accounts  # the leader's township only


def test_bad_training_input_is_refused_and_nothing_is_written(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    code, out, output = _record(engine, date="2999-01-01")
    assert code == 1 and out == ""
    assert "培训日期：培训日期不能晚于今天" in output and "参训人员：请至少选择" in output
    code, _, output = _record(engine, "clerk", "ghost")
    assert code == 1 and "账号不存在：ghost" in output
    code, _, output = _record(engine, "admin")  # manages accounts, is not case staff
    assert code == 1 and "辖区内在岗的工作人员" in output
    code, _, output = run(
        engine, "training", "record", "--user", "leader", "--date", f"{LAST_YEAR}-05-10",
        "--topic", "培训", "--trainer", "张老师", "--attendee", "clerk",
    )  # fmt: skip
    assert code == 1 and "只有区级" in output
    world.session.rollback()
    assert world.session.scalar(select(func.count(TrainingSession.id))) == 0
    assert _record(engine, "clerk")[0] == 0
    world.session.rollback()
    sid = str(world.session.scalars(select(TrainingSession.id)).one())
    code, _, output = run(
        engine, "training", "attend", sid, "--user", "supervisor", "--attendee", "clerk"
    )
    assert code == 1 and "已登记为本场参训人员" in output
    code, _, output = run(
        engine, "training", "attend", "999999", "--user", "supervisor", "--attendee", "inv1"
    )
    assert code == 1 and "培训场次" in output and "不存在" in output
    world.session.rollback()
    assert world.session.scalar(select(func.count(TrainingAttendance.id))) == 1
    code, _, output = run(
        engine, "training", "untrained", "--user", "supervisor", "--export", str(tmp_path / "x.pdf")
    )
    assert code == 1 and ".csv" in output and not (tmp_path / "x.pdf").exists()
    code, _, output = run(engine, "training", "untrained", "--user", "clerk")
    assert code == 1 and "只有区级人员或乡镇领导" in output
