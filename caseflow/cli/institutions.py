"""`caseflow institutions …`: the occupancy of the institutions (集中供养) and the priority list
of dispersed 全失能 / 半失能 特困 persons, as the user named may see them (jurisdiction in SQL)."""

from __future__ import annotations

import click


@click.group("institutions")
def institutions() -> None:
    """集中供养：供养机构床位占用、失能半失能分散供养人员。"""


@institutions.command("occupancy")
@click.option("--user", "username", required=True, help="查看人（按其管辖范围显示）。")
def institutions_occupancy(username: str) -> None:
    """各供养机构的床位：核定、已入住、已预留、空余、待确认床位，及合计（按护理等级）。"""
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.read.occupancy import overview

    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        each, total = overview(session, actor)
        for occ in [*each, total]:
            inst = occ.institution
            name = f"{inst.name}（{occ.township_name}）" if inst else "合计（在用机构）"
            levels = "，".join(f"{lc.label} {lc.in_use}/{lc.capacity}" for lc in occ.levels)
            click.echo(
                f"{name}：核定 {occ.licensed} 张，已入住 {occ.in_use}，"
                f"已预留 {occ.reserved}，空余 {occ.free}，待确认床位 {occ.waiting}；{levels}"
            )


@institutions.command("priority")
@click.option("--user", "username", required=True, help="查看人（按其管辖范围显示）。")
def institutions_priority(username: str) -> None:
    """正在分散供养的全失能、半失能特困人员（优先集中供养），按乡镇，及其办理状态。"""
    from caseflow.cli.helpers import actor_by_username, cli_session
    from caseflow.read.occupancy import priority_list

    with cli_session() as session:
        actor = actor_by_username(session, username)
        assert actor is not None
        groups = priority_list(session, actor)
        if not groups:
            click.echo("没有正在分散供养的失能、半失能特困人员")
        for group in groups:
            click.echo(f"{group.name}：{len(group.people)} 人")
            for p in group.people:
                click.echo(f"  {p.name}（{p.village}，{p.care_label}）：{p.status}")
