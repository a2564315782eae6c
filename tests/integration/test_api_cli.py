"""`caseflow api token …` and `caseflow ledger export-roster` on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, select
from support import T0, World
from walker import Walker

from caseflow.accounts.api_tokens import ApiToken, hash_secret
from caseflow.cli.main import main
from caseflow.db.models import AdminEvent, Household
from caseflow.workflow.registry import registry


def run(engine: Engine, *args: str) -> tuple[int, str, str]:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, list(args), env={"CASEFLOW_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.output


def test_token_list_says_so_when_no_token_was_issued(engine: Engine, world: World) -> None:
    code, out, _ = run(engine, "api", "token", "list")
    assert code == 0
    assert out.strip() == "尚未签发任何接口令牌（用 caseflow api token create 签发）。"


def test_token_create_list_revoke(engine: Engine, world: World) -> None:
    code, out, _ = run(
        engine, "api", "token", "create", "--user", "clerk", "--org", "640502100", "--days", "10"
    )
    assert code == 0, out
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("cf_")
    world.session.rollback()
    token = world.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    assert token is not None and token.user.username == "clerk"
    assert 9 <= (token.expires_at - token.created_at).days <= 10
    code, out, _ = run(engine, "api", "token", "list")
    assert code == 0 and token.hint in out and secret not in out and "有效" in out
    # Wider than the user, or an unknown user: refused with the reason.
    code, _, output = run(engine, "api", "token", "create", "--user", "clerk", "--org", "640502")
    assert code == 1 and "缩小" in output
    code, _, output = run(engine, "api", "token", "create", "--user", "nobody", "--org", "640502")
    assert code == 1 and "用户" in output
    code, out, _ = run(engine, "api", "token", "revoke", str(token.id))
    assert code == 0 and "已吊销" in out
    world.session.rollback()
    assert world.session.get_one(ApiToken, token.id).revoked_at is not None
    code, _, output = run(engine, "api", "token", "revoke", "999999")
    assert code == 1 and "不存在" in output
    actions = world.session.scalars(select(AdminEvent.action)).all()
    assert actions.count("api_token_created") == 1 and actions.count("api_token_revoked") == 1


def test_export_roster_command(engine: Engine, world: World, tmp_path: Path) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "approved")
    target = tmp_path / "roster.csv"
    code, out, _ = run(engine, "ledger", "export-roster", str(target), "--user", "approver")
    assert code == 0, out
    rows = list(csv.reader(target.open(encoding="utf-8-sig")))
    world.session.rollback()
    household = world.session.get_one(Household, case.household_id)
    assert {r[8] for r in rows[1:]} == {m.id_number for m in household.members}
    assert f"已导出 1 户 {len(household.members)} 人" in out
    code, _, output = run(
        engine, "ledger", "export-roster", str(tmp_path / "x.csv"), "--user", "reviewer"
    )
    assert code == 1 and "身份证号" in output
    assert not (tmp_path / "x.csv").exists()
    code, _, output = run(
        engine, "ledger", "export-roster", str(tmp_path / "x.pdf"), "--user", "approver"
    )
    assert code == 1 and ".csv" in output
