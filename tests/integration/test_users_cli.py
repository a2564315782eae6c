"""`caseflow users create-admin`: a new installation's first administrator without the demo data —
the district and its townships created once, the account able to sign in and to open the others;
a weak password or a taken name refused in Chinese, nothing written."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from caseflow.accounts.orgs import TOWNSHIPS
from caseflow.accounts.staff import UserForm, create_user
from caseflow.accounts.users import password_matches
from caseflow.cli.main import main
from caseflow.db.models import AdminEvent, OrgUnit, User
from caseflow.kernel.actors import Actor
from caseflow.kernel.timeutil import utcnow

PASSWORD = "Shapotou-Minzheng-2026!"


def run(engine: Engine, *args: str, typed: str | None = None) -> tuple[int, str]:
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        main, ["users", "create-admin", *args], input=typed, env={"CASEFLOW_DATABASE_URL": url}
    )
    return result.exit_code, result.output


def _count(session: Session, model: type) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_first_admin_on_an_empty_database(engine: Engine, session: Session) -> None:
    assert _count(session, OrgUnit) == 0
    code, out = run(engine, "--username", "qu_admin", "--name", "张管理", "--password", "123456")
    assert code == 1 and "密码" in out and "至少 8 位" in out
    assert _count(session, User) == 0 and _count(session, OrgUnit) == 0  # nothing written

    code, out = run(engine, "--username", "qu_admin", "--name", "张管理", "--password", PASSWORD)
    assert code == 0 and "已建立系统管理员 qu_admin" in out, out
    assert _count(session, OrgUnit) == 1 + len(TOWNSHIPS)
    admin = session.scalars(select(User)).one()
    assert admin.role_names == {"admin"} and admin.org_unit.level == "district"
    assert password_matches(admin, PASSWORD)
    event = session.scalars(select(AdminEvent).where(AdminEvent.subject == "qu_admin")).one()
    assert event.action == "user_created" and event.actor_id is None

    # The same name again: refused; a second admin typed at the prompt: the district stays one.
    code, out = run(engine, "--username", "qu_admin", "--name", "张管理", "--password", PASSWORD)
    assert code == 1 and "该用户名已存在" in out
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    code, out = run(engine, "--username", "qu_admin2", "--name", "李管理", typed=typed)
    assert code == 0, out
    assert _count(session, User) == 2 and _count(session, OrgUnit) == 1 + len(TOWNSHIPS)

    # The first admin opens a township clerk's account, as on /admin/users.
    township = session.scalars(select(OrgUnit).where(OrgUnit.level == "township")).first()
    assert township is not None
    form = UserForm(
        username="binhe_clerk",
        display_name="王芳",
        org_unit_id=str(township.id),
        roles=("clerk",),
        password=PASSWORD + "x",
    )
    clerk = create_user(session, Actor.from_user(admin), form, utcnow())
    assert clerk.org_unit.path.startswith(admin.org_unit.path)
