"""The `caseflow` command: database set-up, demo data, workflow checks, audit verification."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from caseflow.db.engine import make_engine, make_session_factory


def ready_engine() -> Engine:
    """The configured engine, or exit with a clear message when the schema was never created."""
    engine = make_engine()
    if "alembic_version" not in inspect(engine).get_table_names():
        engine.dispose()
        click.echo("数据库尚未初始化，请先运行：caseflow init-db", err=True)
        sys.exit(1)
    return engine


@contextmanager
def cli_session() -> Iterator[Session]:
    """A session on CASEFLOW_DATABASE_URL (or the embedded SQLite file)."""
    engine = ready_engine()
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """caseflow：农村社会救助案件管理（低保、特困、临时救助）。"""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from caseflow.db.schema import upgrade

    engine = make_engine()
    upgrade(engine)
    engine.dispose()
    click.echo("数据库已就绪")


@main.command("seed")
@click.option("--demo", is_flag=True, required=True, help="Load the demo district (沙坡头区).")
@click.option("--households", default=300, show_default=True, help="How many demo households.")
def seed(demo: bool, households: int) -> None:
    """Load demo data: org units, staff for every role, households and cases in every state."""
    from caseflow.db.schema import upgrade
    from caseflow.seed.demo import seed_demo

    engine = make_engine()
    upgrade(engine)  # the demo command sets up a fresh database by itself
    engine.dispose()
    with cli_session() as session:
        summary = seed_demo(session, households=households)
    click.echo(summary)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--debug", is_flag=True, help="Flask's development server (never in production).")
def serve(host: str, port: int, debug: bool) -> None:
    """Run the web application (waitress in production mode)."""
    from web.server import run

    run(host=host, port=port, debug=debug)


@main.group()
def workflows() -> None:
    """Workflow definitions."""


@workflows.command("check")
def workflows_check() -> None:
    """Load and validate every workflow and rule set; non-zero exit on the first broken file."""
    from caseflow.kernel.errors import DefinitionError
    from caseflow.workflow.registry import load_registry

    try:
        reg = load_registry()
    except DefinitionError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    for wf in reg.workflows.values():
        click.echo(
            f"{wf.key:10s} {wf.label}：{len(wf.states)} 个状态，{len(wf.transitions)} 个操作"
        )
    for rs in reg.rulesets.values():
        click.echo(f"规则集 {rs.key}（{rs.label}），自 {rs.effective_from} 起")


@workflows.command("diagram")
@click.argument("key")
def workflows_diagram(key: str) -> None:
    """Print the workflow KEY as a mermaid state diagram."""
    from caseflow.kernel.errors import DefinitionError
    from caseflow.workflow.machine import mermaid
    from caseflow.workflow.registry import registry

    try:
        click.echo(mermaid(registry().workflow(key)))
    except DefinitionError as exc:
        click.echo(exc.message_zh, err=True)
        sys.exit(1)


@main.command("tick")
@click.option(
    "--now",
    "now_text",
    default=None,
    help="Pretend it is this time (ISO 8601; without offset = Asia/Shanghai).",
)
def tick(now_text: str | None) -> None:
    """Run the deadline sweep once (for cron): reminders, escalations, expiry transitions; first
    of a day, the board's counters are folded for it."""
    from caseflow.db.engine import make_session_factory
    from caseflow.kernel.timeutil import parse_aware, utcnow
    from caseflow.read.board_counts import daily_roll
    from caseflow.timer.sweep import sweep

    now = parse_aware(now_text) if now_text else utcnow()
    engine = ready_engine()
    try:
        factory = make_session_factory(engine)
        try:
            daily_roll(factory, now)
        except Exception as exc:  # boards count live meanwhile; the deadlines must still be swept
            click.echo(f"督办看板计数表未能按日归并（下次运行时重试）：{exc}", err=True)
        report = sweep(factory, now)
    finally:
        engine.dispose()
    click.echo(report.summary_zh())
    if report.failed:
        sys.exit(2)


@main.group()
def board() -> None:
    """督办看板的计数表（board_counts）：核对与重建。"""


@board.command("check-counts")
def board_check_counts() -> None:
    """Compare the board's counters with a recount from the cases (exit 1 when they differ)."""
    from caseflow.read.board_counts import drift, read_horizon

    with cli_session() as session:
        found = drift(session)
        horizon = read_horizon(session)
    folded = f"（按 {horizon.day} 的账龄区间归并）" if horizon else "（按确切到期时刻）"
    if found.ok:
        click.echo(f"计数表与案件一致{folded}")
        return
    for key, (stored, fresh) in sorted(found.differences.items(), key=str):
        township, state, workflow, due = key
        click.echo(f"{township}\t{state}\t{workflow}\t{due}\t计数表 {stored}\t实际 {fresh}")
    click.echo(f"计数表有 {len(found.differences)} 处与案件不符", err=True)
    click.echo("请运行：caseflow board rebuild-counts", err=True)
    sys.exit(1)


@board.command("rebuild-counts")
def board_rebuild_counts() -> None:
    """Recompute the board's counters from the cases (repair; safe while the system runs)."""
    from caseflow.read.board_counts import rebuild_counts

    with cli_session() as session:
        rows = rebuild_counts(session)
        session.commit()
    click.echo(f"已重建计数表：{rows} 行")


@main.group()
def calendar() -> None:
    """The working-day calendar (holidays and make-up working days)."""


@calendar.command("check")
@click.option(
    "--years", default=None, help="Years to check, e.g. 2026,2027 (default: now and next)."
)
def calendar_check(years: str | None) -> None:
    """Warn about years whose holidays are neither in the package nor entered by an admin."""
    from caseflow.clock.calendar_store import load_calendar
    from caseflow.kernel.timeutil import to_local, utcnow

    this_year = to_local(utcnow()).year
    wanted = [int(y) for y in years.split(",")] if years else [this_year, this_year + 1]
    with cli_session() as session:
        cal = load_calendar(session)
    warnings = cal.coverage_warnings(wanted)
    for text in warnings:
        click.echo(f"警告：{text}", err=True)
    if warnings:
        sys.exit(1)
    click.echo("工作日历已覆盖：" + "、".join(str(y) for y in wanted))


@calendar.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def calendar_load(path: str) -> None:
    """Load an override file (holidays / make-up days of a year) into the database."""
    from caseflow.clock.calendar_store import store_overrides
    from caseflow.clock.workcal import OverrideFileError, load_overrides_yaml
    from caseflow.kernel.timeutil import utcnow

    try:
        overrides, complete = load_overrides_yaml(path)
    except OverrideFileError as exc:
        click.echo(f"文件有误：{exc}", err=True)
        sys.exit(1)
    with cli_session() as session:
        store_overrides(session, overrides, complete, None, utcnow())
    click.echo(f"已录入 {len(overrides)} 个日期；已确认完整的年份：{sorted(complete) or '无'}")


@main.group()
def policy() -> None:
    """Policy configuration: standards, limits and amounts by date (example values marked)."""


@policy.command("show")
@click.option("--region", default="640502", show_default=True)
def policy_show(region: str) -> None:
    """List the configurations entered for a region, with their dates and status."""
    from caseflow.db.models import PolicyRecord
    from caseflow.kernel.money import format_yuan
    from caseflow.policy.store import policy_table

    with cli_session() as session:
        table = policy_table(session, region)
        records = {
            r.effective_from: r for r in session.query(PolicyRecord).filter_by(region=region)
        }
        for config in table.configs:
            record = records[config.effective_from]
            status = "示例值，待确认" if config.is_example else f"已确认（{record.confirmed_at}）"
            click.echo(
                f"{config.effective_from} 起：{config.label_zh}；低保标准 "
                f"{format_yuan(config.dibao_standard_fen)} 元/人·月；{status}"
            )


@policy.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def policy_load(path: str) -> None:
    """Enter the configurations of a policy YAML file (each change goes to the admin log)."""
    from pathlib import Path

    from caseflow.kernel.errors import DefinitionError
    from caseflow.kernel.timeutil import utcnow
    from caseflow.policy.store import load_policy_file

    with cli_session() as session:
        try:
            stored = load_policy_file(session, Path(path), None, utcnow())
        except DefinitionError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    click.echo(f"已录入 {len(stored)} 份配置")


@policy.command("rise")
@click.argument("effective_from")
@click.option("--region", default="640502", show_default=True)
def policy_rise(effective_from: str, region: str) -> None:
    """提标: the changed amounts of approved 低保 cases from EFFECTIVE_FROM (YYYY-MM-DD)."""
    from datetime import date

    from caseflow.kernel.money import format_yuan
    from caseflow.payments.rise import rise_list

    with cli_session() as session:
        result = rise_list(session, region, date.fromisoformat(effective_from))
    click.echo(f"{result.old_label} → {result.new_label}，{result.effective_from} 起")
    for change in result.changes:
        click.echo(change.line_zh())
    click.echo(
        f"共 {len(result.changes)} 件，每月增加 {format_yuan(result.total_difference_fen)} 元"
    )


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk every case's hash chain; non-zero exit naming each broken case."""
    from caseflow.db.models import Case
    from caseflow.engine.audit import verify_admin_chain, verify_chains

    broken = 0
    with cli_session() as session:
        for brk in verify_chains(session):
            broken += 1
            case = session.get(Case, brk.case_id)
            number = case.case_no if case else f"#{brk.case_id}"
            click.echo(
                f"案件 {number}（id {brk.case_id}）第 {brk.seq} 条记录被篡改：{brk.reason}",
                err=True,
            )
        admin_break = verify_admin_chain(session)
    if admin_break is not None:
        click.echo(f"管理日志第 {admin_break} 条记录被篡改", err=True)
    if broken or admin_break is not None:
        click.echo(f"审计链校验失败：{broken} 个案件", err=True)
        sys.exit(1)
    click.echo("审计链校验通过")


@main.group()
def ledger() -> None:
    """台账比对：导入建档立卡、低保/特困台账和部门名单，逐户比对。"""


@ledger.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        [
            "registry",
            "dibao_roster",
            "tekun_roster",
            "deaths",
            "moves",
            "prisoners",
            "public_employees",
            "vehicle_owners",
        ]
    ),
    help="名单类型",
)
@click.option("--skip-invalid", is_flag=True, help="跳过校验报告中列出的有误行，只导入有效行。")
@click.option("--report", "report_path", default=None, help="校验报告 .xlsx 的保存路径。")
@click.option("--user", "username", default=None, help="以哪个用户的名义导入（写入管理日志）。")
def ledger_import(
    path: str, kind: str, skip_invalid: bool, report_path: str | None, username: str | None
) -> None:
    """Import a roster FILE (.xlsx or .csv) in one transaction, with a progress bar."""
    from pathlib import Path

    from caseflow.cli.ledger_helpers import actor_by_username
    from caseflow.kernel.timeutil import utcnow
    from caseflow.ledger.importer import import_roster
    from caseflow.ledger.reader import estimate_rows
    from caseflow.ledger.validate import write_report_xlsx

    source = Path(path)
    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
        except LookupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        with click.progressbar(length=max(estimate_rows(source), 1), label="导入中") as bar:
            done = [0]

            def progress(rows: int) -> None:
                bar.update(rows - done[0])
                done[0] = rows

            result = import_roster(
                session,
                source,
                kind,
                actor,
                utcnow(),
                skip_invalid=skip_invalid,
                progress=progress,
            )
    if result.report:
        target = Path(report_path) if report_path else source.with_suffix(".校验报告.xlsx")
        write_report_xlsx(result.report, target, title=f"{source.name} 校验报告")
        click.echo(f"校验报告：{target}（错误 {len(result.errors)} 处）")
    click.echo(result.summary_zh())
    if result.import_id is None:
        sys.exit(1)
    click.echo(f"导入批次编号：{result.import_id}")


@ledger.command("compare")
@click.option("--registry", "registry_id", required=True, type=int, help="建档立卡导入批次编号")
@click.option(
    "--roster", "roster_ids", multiple=True, type=int, help="低保/特困台账或部门名单的导入批次编号"
)
@click.option("--no-system-cases", is_flag=True, help="不使用系统中的在保低保/特困案件。")
@click.option("--export", "export_path", default=None, help="比对结果 .xlsx 的保存路径。")
@click.option("--user", "username", default=None, help="以哪个用户的名义比对（写入管理日志）。")
def ledger_compare(
    registry_id: int,
    roster_ids: tuple[int, ...],
    no_system_cases: bool,
    export_path: str | None,
    username: str | None,
) -> None:
    """Compare household by household; print counts per category, optionally export to Excel."""
    from pathlib import Path

    from caseflow.cli.ledger_helpers import actor_by_username
    from caseflow.kernel.timeutil import utcnow
    from caseflow.ledger.classify import CATEGORY_LABELS
    from caseflow.ledger.compare import CompareError, run_comparison
    from caseflow.ledger.export import export_run

    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
        except LookupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        try:
            run = run_comparison(
                session,
                registry_id,
                list(roster_ids),
                actor,
                utcnow(),
                include_system_cases=not no_system_cases,
            )
        except CompareError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        click.echo(f"比对批次 {run.id}：")
        for category, label in CATEGORY_LABELS.items():
            click.echo(f"  {category} {label}：{run.counts.get(category, 0)} 户")
        if export_path:
            export_run(session, run.id, Path(export_path), actor)
            click.echo(f"已导出：{export_path}")


@main.group("api")
def api_group() -> None:
    """数据交换接口（/api/v1）。"""


@api_group.group("token")
def api_token() -> None:
    """接口令牌：签发、吊销、列出。"""


@api_token.command("create")
@click.option("--user", "username", required=True, help="令牌代表的用户（具有其角色）。")
@click.option("--org", "org_code", required=True, help="管辖范围：用户所在单位或其下级的代码。")
@click.option("--days", default=365, show_default=True, help="有效天数。")
@click.option("--name", default="", help="用途（对接系统名称）；默认取用户名和单位。")
def api_token_create(username: str, org_code: str, days: int, name: str) -> None:
    """Issue a token; the secret is printed once and only its digest is stored."""
    from sqlalchemy import select

    from caseflow.accounts.api_tokens import create_token
    from caseflow.db.models import User
    from caseflow.kernel.errors import PayloadInvalid
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        try:
            issued = create_token(
                session,
                user_id=user_id,
                org_code=org_code,
                name=name or f"命令行签发：{username}@{org_code}",
                days=days,
                now=utcnow(),
                created_by_id=None,
            )
        except PayloadInvalid as exc:
            click.echo(exc.message_zh, err=True)
            sys.exit(1)
        click.echo(f"令牌编号 {issued.token.id}，有效至 {issued.token.expires_at:%Y-%m-%d}")
    click.echo("令牌（仅显示这一次）：", err=True)
    click.echo(issued.secret)


@api_token.command("revoke")
@click.argument("token_id", type=int)
def api_token_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID at once (admin log)."""
    from caseflow.accounts.api_tokens import revoke_token
    from caseflow.kernel.errors import CaseNotFound
    from caseflow.kernel.timeutil import utcnow

    with cli_session() as session:
        try:
            token = revoke_token(session, token_id, utcnow(), None)
        except CaseNotFound as exc:
            click.echo(exc.message_zh, err=True)
            sys.exit(1)
        click.echo(f"已吊销令牌 {token.id}（{token.hint}…，{token.name}）")


@api_token.command("list")
def api_token_list() -> None:
    """List tokens with their status and last use (never the secrets)."""
    from caseflow.accounts.api_tokens import STATUS_LABELS, tokens_in_scope
    from caseflow.kernel.timeutil import utcnow

    now = utcnow()
    with cli_session() as session:
        for t in tokens_in_scope(session, "/"):
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "从未使用"
            click.echo(
                f"{t.id}\t{t.hint}…\t{t.user.username}\t{t.org_unit.code}\t"
                f"{STATUS_LABELS[t.status(now)]}\t至 {t.expires_at:%Y-%m-%d}\t{used}\t{t.name}"
            )


@ledger.command("export-roster")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--user", "username", required=True, help="导出人（须有权查看身份证号）。")
def ledger_export_roster(path: str, username: str) -> None:
    """Write the 低保/特困 roster in the poverty registry's column layout to PATH (.csv/.xlsx)."""
    from pathlib import Path

    from caseflow.cli.ledger_helpers import actor_by_username
    from caseflow.kernel.errors import PermissionDenied
    from caseflow.kernel.timeutil import utcnow
    from caseflow.ledger.registry_export import export_roster_file

    target = Path(path)
    if target.suffix.lower() not in (".csv", ".xlsx"):
        click.echo("文件名须以 .csv 或 .xlsx 结尾", err=True)
        sys.exit(1)
    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
            assert actor is not None
            result = export_roster_file(session, actor, target, utcnow())
        except (LookupError, PermissionDenied) as exc:
            click.echo(getattr(exc, "message_zh", str(exc)), err=True)
            sys.exit(1)
    click.echo(f"{result.summary_zh()}：{target}")


from caseflow.cli.reviews import reviews as _reviews  # noqa: E402  (复核计划)

main.add_command(_reviews)

from caseflow.cli.roll import roll as _roll  # noqa: E402  (发放名册)

main.add_command(_roll)


from caseflow.cli.campaign import campaign as _campaign  # noqa: E402  (排查摸底)

main.add_command(_campaign)


if __name__ == "__main__":
    main()
