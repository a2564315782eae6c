"""Generated input thrown at the registration and intake forms: never a 500, nothing half-saved."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support import T0, World
from websupport import AuthActions

from caseflow.db.models import Case, Household, Member

# Text that stresses parsers: ID-like digits, full-width forms, control and CJK characters.
junk = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[0-9０-９xX ]{0,20}", fullmatch=True),
    st.sampled_from(["", " ", "户主", "子女", "full", "none", "0", "-1", "9" * 30, "\x00", "１２"]),
)
FIELDS = [
    "org_unit_id",
    "address",
    "phone",
    "bank_account",
    "rows",
    "members-0-name",
    "members-0-id_number",
    "members-0-relation",
    "members-0-labour_capacity",
    "members-0-health",
    "members-0-disability_grade",
    "members-1-name",
    "members-1-id_number",
    "members-1-relation",
]
INTAKE_FIELDS = [
    "case_type",
    "supplied",
    "summary",
    "emergency",
    "emergency_kind",
    "situation",
    "override_username",
    "override_password",
    "override_reason",
]
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _counts(world: World) -> tuple[int, int, int]:
    world.session.rollback()
    s = world.session
    return (
        int(s.scalar(select(func.count()).select_from(Household)) or 0),
        int(s.scalar(select(func.count()).select_from(Member)) or 0),
        int(s.scalar(select(func.count()).select_from(Case)) or 0),
    )


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(FIELDS), junk, max_size=len(FIELDS)))
def test_registration_never_500(
    client: FlaskClient, auth: AuthActions, world: World, data: dict[str, Any]
) -> None:
    if not client.get_cookie("session"):
        auth.login("clerk")
    before = _counts(world)
    response = client.post("/desk/households/new", data=data)
    assert response.status_code in {303, 400}, response.status_code
    if response.status_code == 400:
        assert _counts(world) == before


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(INTAKE_FIELDS), junk, max_size=len(INTAKE_FIELDS)))
def test_intake_never_500(
    client: FlaskClient, auth: AuthActions, world: World, data: dict[str, Any]
) -> None:
    if not client.get_cookie("session"):
        auth.login("clerk")
        world.household()
    household_id = world.session.scalar(select(Household.id).order_by(Household.id))
    before = _counts(world)
    response = client.post(f"/desk/households/{household_id}/intake", data=data)
    assert response.status_code in {303, 400, 403, 409}, response.status_code
    if response.status_code != 303:
        assert _counts(world) == before


def test_bad_ids_in_urls(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("clerk")
    for url in ("/cases/abc", "/cases/99999999999999999999", "/desk/households/-1", "/cases/1/x"):
        assert client.get(url).status_code == 404, url
    response = client.post("/cases/1/reveal", data={"field": "password"})
    assert response.status_code in {400, 404}


def test_overflowing_and_not_a_number_values_get_a_chinese_message(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    """The API's fire body and a form's amount, month and row id: 400 (or the form's field
    error) in Chinese, never a value the database is asked to store."""
    from caseflow.accounts.api_tokens import create_token
    from caseflow.engine.fire import open_case

    household = world.household()
    case = open_case(world.session, "dibao", household.id, world.actor("clerk"), T0)
    issued = create_token(
        world.session,
        user_id=world.users["clerk"].id,
        org_code=world.township.code,
        name="测试",
        days=30,
        now=T0,
        created_by_id=None,
    )
    headers = {"Authorization": f"Bearer {issued.secret}"}
    for version in ("1e308", "NaN", "Infinity", str(2**64), "-1"):
        response = client.post(
            f"/api/v1/cases/{case.id}/transitions",
            data=f'{{"trigger": "withdraw", "version": {version}, "payload": {{}}}}',
            headers=headers,
            content_type="application/json",
        )
        assert response.status_code == 400, (version, response.status_code)
        message = response.get_json()["message"]
        assert re.search(r"[\u4e00-\u9fff]", message), (version, message)
    auth.login("reviewer")
    for month in ("9999-99", "2026-1e308", "NaN"):
        refused = client.post("/payments/prepare", data={"township": "640502100", "month": month})
        assert refused.status_code == 400 and "月份格式应为 YYYY-MM" in refused.get_data(
            as_text=True
        )
    assert client.get("/payments/99999999999999999999").status_code == 404
    assert client.get("/payments/?page=1e308").status_code == 200
