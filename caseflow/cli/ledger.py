"""`caseflow ledger`: roster imports, comparisons (台账比对) and the registry-layout export."""

from __future__ import annotations

import sys

import click

from caseflow.cli.helpers import cli_session


@click.group()
def ledger() -> None:
    """台账比对：导入建档立卡、低保/特困台账和部门名单，逐户比对。"""


@ledger.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), metavar="文件")
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
@click.option(
    "--map",
    "pairs",
    multiple=True,
    help="列对应：表头=字段（字段代码或中文名，忽略=不导入），可多次指定，优先于方案。",
)
@click.option("--preset", "preset_name", default=None, help="套用已保存的列对应方案（同网页）。")
@click.option(
    "--full-ids",
    is_flag=True,
    help="校验报告中显示完整身份证号（须 --user 的角色有权查看，查看留痕）。默认隐藏。",
)
def ledger_import(
    path: str,
    kind: str,
    skip_invalid: bool,
    report_path: str | None,
    username: str | None,
    pairs: tuple[str, ...],
    preset_name: str | None,
    full_ids: bool,
) -> None:
    """在一个事务中导入名单文件（.xlsx 或 .csv），显示进度条。"""
    from pathlib import Path

    from caseflow.cli.helpers import actor_by_username
    from caseflow.kernel.errors import PermissionDenied
    from caseflow.kernel.timeutil import utcnow
    from caseflow.ledger.importer import import_roster
    from caseflow.ledger.reader import estimate_rows
    from caseflow.ledger.report_view import full_report_allowed, log_full_report, masked
    from caseflow.ledger.saved_presets import resolve_preset
    from caseflow.ledger.validate import write_report_xlsx

    source = Path(path)
    with cli_session() as session:
        try:
            actor = actor_by_username(session, username)
        except LookupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        preset = resolve_preset(session, kind, preset_name, pairs)
        if full_ids and not full_report_allowed(actor):  # before the work, not after it
            raise PermissionDenied("您的角色不能查看含完整身份证号的校验报告（去掉 --full-ids）")
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
                preset=preset,
            )
        if any(e.row_no > 0 for e in result.report):  # findings about rows: a report file
            target = Path(report_path) if report_path else source.with_suffix(".校验报告.xlsx")
            entries = result.report
            if full_ids:
                log_full_report(session, actor, source.name, utcnow())
            else:
                entries = list(masked(entries))
            write_report_xlsx(entries, target, title=f"{source.name} 校验报告")
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
    """逐户比对，输出各类别户数，可选导出 Excel。"""
    from pathlib import Path

    from caseflow.cli.helpers import actor_by_username
    from caseflow.kernel.timeutil import utcnow
    from caseflow.ledger.classify import CATEGORY_LABELS
    from caseflow.ledger.compare import CompareError, run_comparison
    from caseflow.ledger.export import export_run
    from caseflow.ledger.worklist import undecided_count

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
        undecided = undecided_count(session, run.id)
        if undecided:
            click.echo(f"  其中人工判定（同名户主，须人工核定）：{undecided} 户")
        if export_path:
            export_run(session, run.id, Path(export_path), actor)
            click.echo(f"已导出：{export_path}")


@ledger.command("export-roster")
@click.argument("path", type=click.Path(dir_okay=False, writable=True), metavar="文件")
@click.option("--user", "username", required=True, help="导出人（须有权查看身份证号）。")
def ledger_export_roster(path: str, username: str) -> None:
    """按建档立卡系统的列格式导出低保/特困名单到文件（.csv/.xlsx）。"""
    from pathlib import Path

    from caseflow.cli.helpers import actor_by_username
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


@ledger.command("presets")
def ledger_presets() -> None:
    """列出已保存的列对应方案（网页上传和 --preset 共用）。"""
    from caseflow.ledger.columns import FIELD_LABELS
    from caseflow.ledger.saved_presets import saved_presets

    with cli_session() as session:
        found = saved_presets(session)
    if not found:
        click.echo("尚无已保存的列对应方案")
    for name in sorted(found):
        pairs = "，".join(
            f"{h}→{FIELD_LABELS.get(f, '不导入')}" for h, f in found[name].mapping.items()
        )
        click.echo(f"{name}：{pairs}")
