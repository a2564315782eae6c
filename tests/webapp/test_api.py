"""The JSON API (/api/v1) on SQLite and PostgreSQL: the web's access matrix holds for tokens
(scoped to an org unit), token failures, role denial, compare-and-set conflicts, field-by-field
input errors, rate limits, the OpenAPI document, the registry-layout export, and a hypothesis
run over every operation that must never produce a 500 or an HTML page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from ledger_support import REGISTRY_HEADER, pid, write_csv
from openapi_spec_validator import validate as validate_openapi
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from support import T0, World
from walker import Walker
from websupport import Scene, make_app

from caseflow.accounts.api_tokens import ApiToken, create_token, hash_secret, revoke_token
from caseflow.db.models import AdminEvent, Case, PersonalDataView, User
from caseflow.engine.fire import open_case
from caseflow.kernel.errors import PayloadInvalid
from caseflow.kernel.roles import PERSONAL_DATA_ROLES, Role
from caseflow.ledger.compare import run_comparison
from caseflow.ledger.importer import import_roster
from caseflow.workflow.registry import registry
from caseflow_web.security import CASEWORK_ROLES

CASEWORK = set(CASEWORK_ROLES)
PERSONAL = {r.value for r in PERSONAL_DATA_ROLES}
USERS = [
    "clerk",
    "inv1",
    "reviewer",
    "leader",
    "liaison",
    "approver",
    "finance",
    "supervisor",
    "admin",
    "other_clerk",
]


def issue(world: World, username: str, org_code: str | None = None, **kw: Any) -> str:
    """A token for a world user, scoped to its own unit unless `org_code` narrows it."""
    user = world.users[username]
    world.session.rollback()
    code = org_code or user.org_unit.code
    issued = create_token(
        world.session,
        user_id=user.id,
        org_code=code,
        name=kw.pop("name", f"测试 {username}"),
        days=kw.pop("days", 30),
        now=kw.pop("now", T0),
        created_by_id=world.users["admin"].id,
        **kw,
    )
    return issued.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


# --- ledger data in both townships ------------------------------------------------------------


@dataclass
class Ledger:
    import_id: int
    run_id: int


def build_ledger(world: World, tmp_path: Path) -> Ledger:
    """A registry list with one household in each township, compared (C3/C4 results)."""
    rows = [
        ["L1", "赵甲", "滨河镇", "示例村", "赵甲", pid(1950, 301), "户主", "", "", "", "", "1200"],
        ["L2", "钱乙", "文昌镇", "某村", "钱乙", pid(1951, 302), "户主", "", "", "", "", "36000"],
    ]
    path = write_csv(tmp_path / "registry.csv", REGISTRY_HEADER, rows, "utf-8-sig")
    result = import_roster(world.session, path, "registry", world.actor("admin"), T0)
    assert result.import_id is not None, result.report
    run = run_comparison(
        world.session,
        result.import_id,
        [],
        world.actor("supervisor"),
        T0,
        include_system_cases=False,
    )
    return Ledger(result.import_id, run.id)


@pytest.fixture
def ledger(world: World, tmp_path: Path) -> Ledger:
    return build_ledger(world, tmp_path)


# --- the OpenAPI document --------------------------------------------------------------------


def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.get_json()
    return doc


def test_openapi_document_validates_and_covers_every_route(app: Flask, client: FlaskClient) -> None:
    doc = spec(client)
    validate_openapi(doc)
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            served.add((path, method))
    assert served == documented
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "200" in op["responses"], (path, method)
            for code, answer in op["responses"].items():
                assert answer.get("content"), (path, method, code)


def _validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return Draft202012Validator(schema)


# --- the access matrix -----------------------------------------------------------------------


@dataclass(frozen=True)
class ApiRoute:
    method: str
    url: Callable[[Scene, Ledger, str], str]
    roles: set[str]
    scoped: bool = True  # 404 outside the token's jurisdiction
    schema: str | None = None
    body: Callable[[Scene, str], dict[str, Any]] | None = None
    ok: frozenset[int] = frozenset({200})


def _side(scene: Scene, which: str) -> Any:
    return scene.own if which == "own" else scene.other


API_ROUTES = [
    ApiRoute(
        "GET", lambda s, lg, w: "/api/v1/households?per_page=5", CASEWORK, False, "HouseholdPage"
    ),
    ApiRoute(
        "GET",
        lambda s, lg, w: f"/api/v1/households/{_side(s, w).household.id}",
        CASEWORK,
        schema="Household",
    ),
    ApiRoute("GET", lambda s, lg, w: "/api/v1/cases?workflow=dibao", CASEWORK, False, "CasePage"),
    ApiRoute(
        "GET",
        lambda s, lg, w: f"/api/v1/cases/{_side(s, w).case.id}",
        CASEWORK,
        schema="CaseDetail",
    ),
    ApiRoute(
        "GET",
        lambda s, lg, w: f"/api/v1/cases/{_side(s, w).case.id}/transitions",
        CASEWORK,
        schema="TransitionList",
    ),
    # Firing needs the transition's role too: casework roles without it get 403 from the engine,
    # and once one user has fired, the case has moved on (409).
    ApiRoute(
        "POST",
        lambda s, lg, w: f"/api/v1/cases/{_side(s, w).case.id}/transitions",
        CASEWORK,
        body=lambda s, w: {"trigger": "start_investigation", "version": _side(s, w).case.version},
        ok=frozenset({200, 403, 409}),
    ),
    ApiRoute("GET", lambda s, lg, w: "/api/v1/rosters", CASEWORK, False, "RosterImportPage"),
    ApiRoute(
        "GET",
        lambda s, lg, w: f"/api/v1/rosters/{lg.import_id}/rows",
        CASEWORK,
        False,
        "RosterRowPage",
    ),
    ApiRoute(
        "GET",
        lambda s, lg, w: f"/api/v1/comparisons/{lg.run_id}/results",
        CASEWORK,
        False,
        "ComparisonResultPage",
    ),
    ApiRoute("GET", lambda s, lg, w: "/api/v1/exports/registry-roster", PERSONAL, False),
    ApiRoute("GET", lambda s, lg, w: "/api/v1/openapi.json", CASEWORK | {"admin"}, False),
]


def test_every_api_route_is_in_the_matrix(app: Flask, scene: Scene, ledger: Ledger) -> None:
    covered = set()
    for route in API_ROUTES:
        url = route.url(scene, ledger, "own").split("?")[0]
        adapter = app.url_map.bind("localhost")
        endpoint, _ = adapter.match(url, method=route.method)
        covered.add((endpoint, route.method))
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                assert (rule.endpoint, method) in covered, (rule.endpoint, method)


@pytest.mark.parametrize("username", USERS)
def test_api_access_matrix(
    world: World, scene: Scene, ledger: Ledger, client: FlaskClient, username: str
) -> None:
    user = world.users[username]
    roles = set(user.role_names)
    headers = bearer(issue(world, username))
    doc = spec(client)
    failures = []
    for route in API_ROUTES:
        for which in ("own", "other"):
            side = _side(scene, which)
            url = route.url(scene, ledger, which)
            if route.method == "GET":
                response = client.get(url, headers=headers)
            else:
                assert route.body is not None
                response = client.post(url, headers=headers, json=route.body(scene, which))
            visible = side.household.org_path.startswith(user.org_unit.path)
            if not roles & route.roles:
                expected: set[int] = {403}
            elif route.scoped and not visible:
                expected = {404}
            else:
                expected = set(route.ok)
            if response.status_code not in expected:
                failures.append((route.method, url, which, response.status_code, expected))
            if "openapi" in url or ("exports" in url and response.status_code == 200):
                continue
            body = response.get_json()
            assert body is not None, (url, response.data[:200])  # JSON, never HTML
            if response.status_code != 200:
                _validator(doc, "Error").validate(body)
            elif route.schema:
                _validator(doc, route.schema).validate(body)
    assert not failures, f"{username}: {failures}"


def test_lists_hold_only_the_tokens_jurisdiction(
    world: World, scene: Scene, ledger: Ledger, client: FlaskClient
) -> None:
    headers = bearer(issue(world, "clerk"))
    households = client.get("/api/v1/households?per_page=200", headers=headers).get_json()
    ids = {h["id"] for h in households["items"]}
    assert scene.own.household.id in ids and scene.other.household.id not in ids
    cases = client.get("/api/v1/cases?per_page=200", headers=headers).get_json()
    numbers = {c["case_no"] for c in cases["items"]}
    assert scene.own.case.case_no in numbers and scene.other.case.case_no not in numbers
    # Asking for the other township by filter gives nothing, not its records.
    other = client.get("/api/v1/cases?org=640502101", headers=headers).get_json()
    assert other["total"] == 0 and other["items"] == []
    rows = client.get(f"/api/v1/rosters/{ledger.import_id}/rows", headers=headers).get_json()
    assert [r["head_name"] for r in rows["items"]] == ["赵甲"]
    assert "*" in rows["items"][0]["id_number"]  # a list: ID numbers masked
    results = client.get(f"/api/v1/comparisons/{ledger.run_id}/results", headers=headers)
    assert [r["head_name"] for r in results.get_json()["items"]] == ["赵甲"]
    # The district sees both.
    district = bearer(issue(world, "supervisor"))
    rows = client.get(f"/api/v1/rosters/{ledger.import_id}/rows", headers=district).get_json()
    assert sorted(r["head_name"] for r in rows["items"]) == ["赵甲", "钱乙"]
    by_category = client.get(
        f"/api/v1/comparisons/{ledger.run_id}/results?category=C8", headers=district
    ).get_json()
    assert by_category["total"] == 0


def test_a_token_narrows_the_users_jurisdiction(
    world: World, scene: Scene, client: FlaskClient
) -> None:
    wide = bearer(issue(world, "approver"))
    narrow = bearer(issue(world, "approver", "640502100"))
    other_case = f"/api/v1/cases/{scene.other.case.id}"
    assert client.get(other_case, headers=wide).status_code == 200
    assert client.get(other_case, headers=narrow).status_code == 404
    assert (
        client.get(f"/api/v1/households/{scene.other.household.id}", headers=narrow).status_code
        == 404
    )
    assert client.get(f"{other_case}/transitions", headers=narrow).status_code == 404
    fired = client.post(
        f"{other_case}/transitions",
        headers=narrow,
        json={"trigger": "withdraw", "version": scene.other.case.version, "payload": {}},
    )
    assert fired.status_code == 404
    assert fired.get_json()["error"] == "not_found"
    own = client.get(f"/api/v1/cases/{scene.own.case.id}", headers=narrow)
    assert own.status_code == 200
    # A token can never be wider than its user: a township clerk cannot get the district.
    with pytest.raises(PayloadInvalid) as exc:
        issue(world, "clerk", "640502101")
    assert "org" in exc.value.fields
    with pytest.raises(PayloadInvalid) as exc:
        issue(world, "clerk", "640502")
    assert "org" in exc.value.fields


def test_wrong_expired_revoked_and_deactivated_tokens_get_401(
    world: World, scene: Scene, client: FlaskClient
) -> None:
    url = f"/api/v1/cases/{scene.own.case.id}"
    good = issue(world, "clerk")
    expired = issue(world, "clerk", now=T0 - timedelta(days=3), days=1)
    revoked = issue(world, "clerk")
    token = world.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(revoked))
    )
    assert token is not None
    revoke_token(world.session, token.id, T0, world.users["admin"].id)
    cases = [
        ({}, "缺少访问令牌"),
        ({"Authorization": "Basic Y2xlcms6cHc="}, "缺少访问令牌"),
        ({"Authorization": "Bearer "}, "缺少访问令牌"),
        (bearer(good[:-2] + "xx"), "访问令牌无效"),
        (bearer("令牌"), "无法识别"),
        (bearer(expired), "已过期"),
        (bearer(revoked), "吊销"),
    ]
    for headers, message in cases:
        response = client.get(url, headers=headers)
        assert response.status_code == 401, headers
        body = response.get_json()
        assert body["error"] == "unauthorized" and message in body["message"], body
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(url, headers=bearer(good)).status_code == 200
    # A signed-in browser session is not an API credential (the API is CSRF-exempt).
    # Deactivating the user stops the token at once.
    clerk = world.session.get_one(User, world.users["clerk"].id)
    clerk.active = False
    world.session.commit()
    response = client.get(url, headers=bearer(good))
    assert response.status_code == 401 and "停用" in response.get_json()["message"]
    # Only the digest is stored, and issue/revoke went to the admin log.
    assert world.session.scalar(select(func.count()).where(ApiToken.token_hash == good)) == 0
    actions = world.session.scalars(select(AdminEvent.action)).all()
    assert "api_token_created" in actions and "api_token_revoked" in actions


def test_a_browser_session_is_not_an_api_credential(
    world: World, scene: Scene, client: FlaskClient, auth: Any
) -> None:
    auth.login("clerk")
    assert client.get(f"/cases/{scene.own.case.id}").status_code == 200
    response = client.post(
        f"/api/v1/cases/{scene.own.case.id}/transitions",
        json={"trigger": "start_investigation", "version": scene.own.case.version},
    )
    assert response.status_code == 401
    world.session.rollback()
    assert world.session.get_one(Case, scene.own.case.id).state == "accepted"


def test_roles_are_denied_with_403(world: World, scene: Scene, client: FlaskClient) -> None:
    admin = bearer(issue(world, "admin"))
    for url in ("/api/v1/cases", "/api/v1/households", f"/api/v1/cases/{scene.own.case.id}"):
        response = client.get(url, headers=admin)
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    # A casework role without the transition's role: the engine refuses, nothing changes.
    finance = bearer(issue(world, "finance"))
    response = client.post(
        f"/api/v1/cases/{scene.own.case.id}/transitions",
        headers=finance,
        json={"trigger": "start_investigation", "version": scene.own.case.version},
    )
    assert response.status_code == 403
    assert "无权" in response.get_json()["message"]
    reviewer = bearer(issue(world, "reviewer"))
    assert client.get("/api/v1/exports/registry-roster", headers=reviewer).status_code == 403
    # The transitions offered to a role match what it may fire.
    offered = client.get(f"/api/v1/cases/{scene.own.case.id}/transitions", headers=finance)
    assert offered.get_json()["transitions"] == []


def test_fire_through_the_engine_with_compare_and_set(
    world: World, scene: Scene, client: FlaskClient
) -> None:
    headers = bearer(issue(world, "clerk"))
    base = f"/api/v1/cases/{scene.own.case.id}"
    offered = client.get(f"{base}/transitions", headers=headers).get_json()
    version = offered["version"]
    assert "start_investigation" in {t["trigger"] for t in offered["transitions"]}
    response = client.post(
        f"{base}/transitions",
        headers=headers,
        json={"trigger": "start_investigation", "version": version, "payload": {}},
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["from_state"] == "accepted" and result["to_state"] == "investigating"
    assert result["version"] == version + 1
    # The same request again carries a stale version: 409, nothing written.
    again = client.post(
        f"{base}/transitions",
        headers=headers,
        json={"trigger": "withdraw", "version": version, "payload": {"reason": "重复提交"}},
    )
    assert again.status_code == 409 and again.get_json()["error"] == "version_conflict"
    # From the new state, a transition that is not declared there is a conflict of state.
    wrong_state = client.post(
        f"{base}/transitions",
        headers=headers,
        json={"trigger": "materials_supplied", "version": version + 1},
    )
    assert wrong_state.status_code == 409
    assert wrong_state.get_json()["error"] == "transition_not_allowed"
    detail = client.get(base, headers=headers).get_json()
    assert detail["state"] == "investigating" and detail["version"] == version + 1
    assert [e["trigger"] for e in detail["events"]] == ["open", "start_investigation"]
    assert detail["events"][-1]["actor_role"] == Role.CLERK.value
    # A guard's refusal is a 422 with the guard's Chinese reason (two visits needed first).
    inv = bearer(issue(world, "inv1"))
    blocked = client.post(
        f"{base}/transitions",
        headers=inv,
        json={
            "trigger": "submit_investigation",
            "version": version + 1,
            "payload": {"summary": "调查完毕"},
        },
    )
    assert blocked.status_code == 422, blocked.get_json()
    assert blocked.get_json()["fields"]["guard"]


def test_bad_input_is_400_field_by_field(world: World, scene: Scene, client: FlaskClient) -> None:
    headers = bearer(issue(world, "clerk"))
    url = f"/api/v1/cases/{scene.own.case.id}/transitions"
    version = scene.own.case.version

    def post(data: Any, raw: bool = False) -> dict[str, Any]:
        if raw:
            response = client.post(url, headers=headers, data=data, content_type="application/json")
        else:
            response = client.post(url, headers=headers, json=data)
        assert response.status_code == 400, (data, response.get_json())
        body: dict[str, Any] = response.get_json()
        assert body["error"] == "bad_request" and body["message"]
        return body["fields"]

    assert "body" in post("{not json", raw=True)
    assert "body" in post([1, 2])
    fields = post({})
    assert set(fields) == {"trigger", "version"}
    assert "版本号" in fields["version"]
    fields = post({"trigger": "start_investigation", "version": "1", "payload": [], "x": 1})
    assert set(fields) == {"version", "payload", "x"}
    fields = post(
        {
            "trigger": "request_materials",
            "version": version,
            "payload": {"missing_items": {"a": 1}, "bad\u0000": "x"},
        }
    )
    assert "payload.missing_items" in fields
    fields = post(
        {"trigger": "request_materials", "version": version, "payload": {"missing_items": 5}}
    )
    assert "payload.missing_items" in fields
    fields = post({"trigger": "withdraw", "version": version, "payload": {"reason": ""}})
    assert fields == {"payload.reason": "请填写撤回原因"}
    fields = post(
        {"trigger": "withdraw", "version": version, "payload": {"reason": "x", "surprise": "y"}}
    )
    assert "payload.surprise" in fields
    fields = post({"trigger": "no_such_thing", "version": version})
    assert "trigger" in fields
    # Query parameters too.
    response = client.get(
        "/api/v1/cases?page=0&per_page=1000&overdue=maybe&workflow=nope", headers=headers
    )
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == {"page", "per_page", "overdue"}
    response = client.get("/api/v1/cases?workflow=nope", headers=headers)
    assert response.status_code == 400 and "workflow" in response.get_json()["fields"]
    response = client.get("/api/v1/cases?org=999", headers=headers)
    assert response.status_code == 400 and "org" in response.get_json()["fields"]
    world.session.rollback()
    case = world.session.get_one(Case, scene.own.case.id)
    assert (case.state, case.version) == ("accepted", version)  # nothing changed


def test_full_id_numbers_only_for_roles_that_need_them_and_logged(
    world: World, scene: Scene, client: FlaskClient
) -> None:
    url = f"/api/v1/households/{scene.own.household.id}"

    def views() -> int:
        world.session.rollback()
        return int(world.session.scalar(select(func.count()).select_from(PersonalDataView)) or 0)

    before = views()
    masked = client.get(url, headers=bearer(issue(world, "reviewer"))).get_json()
    assert not masked["personal_data_full"]
    assert all("*" in m["id_number"] for m in masked["members"])
    assert masked["bank_account"].startswith("*")
    assert views() == before
    full = client.get(url, headers=bearer(issue(world, "clerk"))).get_json()
    assert full["personal_data_full"]
    assert all("*" not in m["id_number"] and len(m["id_number"]) == 18 for m in full["members"])
    assert full["bank_account"] == "6228480000001234"
    assert views() == before + len(full["members"]) + 1
    purposes = world.session.scalars(select(PersonalDataView.purpose)).all()
    assert any("数据接口" in p for p in purposes)
    # Lists never carry ID numbers at all.
    listed = client.get("/api/v1/households", headers=bearer(issue(world, "clerk"))).get_json()
    assert "members" not in listed["items"][0]


# --- rate limit ------------------------------------------------------------------------------


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def limited(world: World, engine: Engine, tmp_path: Path) -> Iterator[tuple[Flask, FixedClock]]:
    clock = FixedClock(T0 + timedelta(hours=1, seconds=5))
    flask_app = make_app(engine, tmp_path, NOW=clock, API_RATE_LIMIT=3, API_RATE_WINDOW_SECONDS=60)
    yield flask_app, clock
    flask_app.extensions["caseflow_engine"].dispose()


def test_rate_limit_per_token_answers_429_with_retry_after(
    world: World, scene: Scene, limited: tuple[Flask, FixedClock]
) -> None:
    app, clock = limited
    client = app.test_client()
    one, two = bearer(issue(world, "clerk")), bearer(issue(world, "clerk"))
    for remaining in (2, 1, 0):
        response = client.get("/api/v1/cases", headers=one)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Remaining"] == str(remaining)
    refused = client.get("/api/v1/cases", headers=one)
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "rate_limited"
    assert refused.headers["Retry-After"] == "55"  # the window started 5 s ago
    assert client.get("/api/v1/cases", headers=two).status_code == 200  # per token
    clock.at += timedelta(seconds=55)
    assert client.get("/api/v1/cases", headers=one).status_code == 200  # a new window
    world.session.rollback()
    used = world.session.scalar(select(ApiToken.last_used_at).order_by(ApiToken.id).limit(1))
    assert used == clock.at


# --- the registry-layout export --------------------------------------------------------------


def test_registry_roster_export_round_trips_through_the_importer(
    world: World, client: FlaskClient, tmp_path: Path
) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "approved")
    world.session.rollback()
    headers = bearer(issue(world, "clerk"))
    response = client.get("/api/v1/exports/registry-roster?format=csv", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["序号", "县（市、区）", "乡（镇）", "行政村", "户编号"]
    household = world.session.get_one(Case, case.id).household
    assert household is not None
    ids = {m.id_number for m in household.members}
    assert {r[8] for r in rows[1:]} == ids  # full ID numbers: the registry matches on them
    assert {r[13] for r in rows[1:]} == {"低保贫困户"}
    path = tmp_path / "roundtrip.csv"
    path.write_bytes(response.data)
    imported = import_roster(world.session, path, "dibao_roster", world.actor("admin"), T0)
    assert imported.status == "complete", imported.report
    assert imported.rows_imported == len(ids)
    xlsx = client.get("/api/v1/exports/registry-roster?format=xlsx", headers=headers)
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == len(ids) + 1 and {v[8] for v in values[1:]} == ids
    # Every export is logged; the other township's clerk gets an empty roster.
    world.session.rollback()
    logged = world.session.scalars(
        select(AdminEvent.payload).where(AdminEvent.action == "roster_exported")
    ).all()
    assert len(logged) == 2 and logged[0]["persons"] == len(ids)
    assert (
        world.session.scalar(
            select(func.count()).where(PersonalDataView.household_id == household.id)
        )
        == 2
    )
    other = client.get(
        "/api/v1/exports/registry-roster", headers=bearer(issue(world, "other_clerk"))
    )
    assert len(list(csv.reader(io.StringIO(other.data.decode("utf-8-sig"))))) == 1
    bad = client.get("/api/v1/exports/registry-roster?format=pdf", headers=headers)
    assert bad.status_code == 400 and "format" in bad.get_json()["fields"]


# --- the admin page --------------------------------------------------------------------------


def test_admin_issues_a_token_once_and_revokes_it(
    world: World, scene: Scene, client: FlaskClient, auth: Any
) -> None:
    auth.login("admin")
    bad = client.post("/admin/api-tokens", data={"name": "", "user_id": "x", "org_code": "1"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "请填写令牌用途" in page and "请选择管辖范围内的用户" in page
    response = client.post(
        "/admin/api-tokens",
        data={
            "name": "市低保系统",
            "user_id": str(world.users["clerk"].id),
            "org_code": "640502100",
            "days": "90",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    start = html.index('id="token-secret">') + len('id="token-secret">')
    secret = html[start : html.index("<", start)]
    assert secret.startswith("cf_")
    assert (
        client.get(f"/api/v1/cases/{scene.own.case.id}", headers=bearer(secret)).status_code == 200
    )
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "市低保系统" in listing and secret not in listing  # shown once only
    world.session.rollback()
    token = world.session.scalar(select(ApiToken).where(ApiToken.name == "市低保系统"))
    assert token is not None and token.last_used_at is not None
    revoked = client.post(f"/admin/api-tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    assert (
        client.get(f"/api/v1/cases/{scene.own.case.id}", headers=bearer(secret)).status_code == 401
    )


# --- no 500 anywhere ---------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
_JSON_SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | _TEXT
_JSON = st.recursive(
    _JSON_SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=8,
)
_ID = st.one_of(st.integers(min_value=-5, max_value=2**40), _TEXT).map(str)


def _often(valid: Any, other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid value, sometimes anything: deep paths need valid outer layers."""
    return st.one_of(st.just(valid), st.just(valid), st.just(valid), other)


@st.composite
def fire_bodies(draw: Any) -> Any:
    """A fire request: usually a declared trigger with its own payload fields, wrongly typed."""
    wf = registry().workflow("dibao")
    t = draw(st.sampled_from(wf.transitions_from("accepted")))  # each example's fresh case
    trigger = draw(_often(t.trigger, st.one_of(st.sampled_from(sorted(wf.triggers)), _TEXT)))
    fields = {f.name: st.one_of(_JSON_SCALAR, _JSON) for f in t.payload}
    payload = draw(
        st.one_of(
            st.fixed_dictionaries(fields),
            st.fixed_dictionaries(fields),
            st.fixed_dictionaries({}, optional=fields),
            st.dictionaries(st.one_of(st.sampled_from([*fields, "x"]), _TEXT), _JSON, max_size=3),
            _JSON,
        )
    )
    body = {
        "trigger": trigger,
        "version": draw(_often(1, st.one_of(st.integers(min_value=0, max_value=4), _JSON))),
        "payload": payload,
    }
    return draw(_often(body, _JSON))


@st.composite
def api_requests(draw: Any, doc: dict[str, Any], ids: dict[str, int]) -> tuple[str, str, Any]:
    """(method, url, (query, body)) for any documented operation, mostly firing."""
    operations = [(path, method) for path in sorted(doc["paths"]) for method in doc["paths"][path]]
    fire_op = ("/cases/{case_id}/transitions", "post")
    path, method = draw(_often(fire_op, st.sampled_from(operations)))
    op = doc["paths"][path][method]
    url = path
    query: dict[str, str] = {}
    for p in op["parameters"]:
        if p["in"] == "path":
            value = draw(_often(str(ids.get(p["name"], 1)), _ID))
            url = url.replace("{" + p["name"] + "}", value.replace("/", "%2F").replace("?", "%3F"))
        elif draw(st.booleans()):
            enum = p["schema"].get("enum")
            query[p["name"]] = draw(st.sampled_from(enum) if enum else st.one_of(_TEXT, _ID))
    body = draw(fire_bodies()) if method == "post" else None
    return method, "/api/v1" + url, (query, body)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_operation_answers_500_or_html(
    data: st.DataObject, world: World, scene: Scene, ledger: Ledger, app: Flask
) -> None:
    client = app.test_client()
    app.config["API_RATE_LIMIT"] = 10**6
    doc = spec(client)
    # A fresh case for every example: an earlier example may have withdrawn the last one.
    world.session.rollback()
    case = open_case(world.session, "dibao", scene.own.household.id, world.actor("clerk"), T0)
    ids = {
        "case_id": case.id,
        "household_id": scene.own.household.id,
        "import_id": ledger.import_id,
        "run_id": ledger.run_id,
    }
    who = data.draw(_often("clerk", st.sampled_from(["inv1", "reviewer", "admin", "bad"])))
    secret = issue(world, who) if who != "bad" else "cf_nonsense"
    method, url, (query, body) = data.draw(api_requests(doc, ids))
    if method == "get":
        response = client.get(url, query_string=query, headers=bearer(secret))
    else:
        raw = json.dumps(body) if data.draw(_often(True, st.just(False))) else str(body)
        response = client.post(
            url,
            data=raw,
            headers=bearer(secret),
            content_type="application/json",
            query_string=query,
        )
    assert response.status_code < 500, (method, url, query, body, response.data[:300])
    if response.status_code != 200:
        error = response.get_json()
        assert error is not None and set(error) == {"error", "message", "fields"}, response.data[
            :200
        ]


def test_errors_outside_the_views_are_json_too(world: World, client: FlaskClient) -> None:
    headers = bearer(issue(world, "clerk"))
    checks = [
        (client.get("/api/v1/no-such-thing", headers=headers), 404),
        (client.get("/api/v1/cases/99999999999", headers=headers), 404),  # beyond 32 bits
        (client.delete("/api/v1/cases", headers=headers), 405),
        (client.get("/api/v1/cases?state=a%00b", headers=headers), 400),  # NUL: refused early
        (
            client.post(
                "/api/v1/cases/1/transitions",
                headers=headers,
                data=b"x" * (300 * 1024),
                content_type="application/json",
            ),
            413,
        ),
    ]
    for response, status in checks:
        assert response.status_code == status
        assert response.mimetype == "application/json"
        body = response.get_json()
        assert set(body) == {"error", "message", "fields"} and body["message"]


def test_an_amount_typed_where_the_rules_compute_it_is_refused(
    world: World, client: FlaskClient
) -> None:
    case = Walker(world, T0).to_state(registry().workflow("dibao"), "district_review")
    headers = bearer(issue(world, "approver"))
    url = f"/api/v1/cases/{case.id}/transitions"
    typed = {"aid_class": "A", "amount_fen": 234000}
    response = client.post(
        url, headers=headers, json={"trigger": "approve", "version": case.version, "payload": typed}
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["fields"] == {"payload.amount_fen": "本操作没有此项"}
    world.session.rollback()
    assert world.session.get_one(Case, case.id).state == "district_review"  # nothing written
    ok = client.post(
        url,
        headers=headers,
        json={"trigger": "approve", "version": case.version, "payload": {"aid_class": "A"}},
    )
    assert ok.status_code == 200 and ok.get_json()["to_state"] == "approved"
