"""Every form field and every API field, fuzzed: huge and negative numbers, 1e308, NaN and
Infinity, control characters, newlines in next/back, long strings, deeply nested JSON. No answer
is a 5xx (and, since the app runs with TESTING, no exception escapes) on SQLite and PostgreSQL.

The routes come from the app's url_map and the API's own description (/api/v1/openapi.json);
the field names from the templates (name="…"), the views (request.form/args.get("…")) and the
workflows' payload fields (p_<name>), so a new form or field is fuzzed without being listed here.
A user holding every role at the district works through all of them. Left out: the PDF renderings
(their only inputs are path ids, bounded by the converter and swept by test_access), sign-out (it
would end the session) and static files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from support import T0, World
from websupport import HASH, PASSWORD, Scene

from caseflow.accounts.api_tokens import create_token
from caseflow.accounts.users import new_user
from caseflow.db.models import Member
from caseflow.engine.fire import open_case
from caseflow.kernel.roles import Role
from caseflow.payments.roll import prepare_roll
from caseflow.workflow.registry import registry

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_ENDPOINTS = frozenset({"static", "auth.logout"})
# The readiness probe answers 503 while the database or next year's calendar is not ready:
# its answer depends on the deployment, never on the (ignored) query string.
READINESS = "/readyz"

DEEP_LIST = "[" * 1200 + "]" * 1200  # past the parsers' recursion limit (1,000)
DEEP_OBJECT = '{"a":' * 1200 + "1" + "}" * 1200
# Four kinds, seven values each: in sweep k every field gets a value of kind k, so every field
# meets a huge number, a not-a-number, a control character or redirect, and odd text.
KINDS: list[list[str]] = [
    [
        "1e308",
        "-1e308",
        str(2**63),
        str(-(2**63) - 1),
        "9" * 40,
        "9000000000000000000",
        "100000000",
    ],
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "-1",
        "0",
        "0x7fffffff",
        "１２３４５６７８９０１２３４５６７８９０",
    ],
    [
        "\x00\x01\x1b\x7f",
        "a\r\nb",
        "/\n/evil.example",
        "/%09/evil.example",
        "\t//evil.example",
        "\\\\evil.example",
        "\u202e\ufeff\ud7ff",
    ],
    ["2026-02-30", "9999-99", "{{7*7}}<script>", "' OR 1=1 --", "长" * 600, DEEP_LIST, DEEP_OBJECT],
]
NASTY = [value for kind in KINDS for value in kind]
GET_VALUE_MAX = 200  # a query string is cut by every view long before this
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats().map(repr),
    st.from_regex(r"[0-9０-９.eE+\-]{1,30}", fullmatch=True),
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.sampled_from(KINDS[0] + KINDS[1]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _deep(depth: int) -> Any:
    value: Any = 1e308
    for _ in range(depth):
        value = {"a": [value]}
    return value


JSON_KIND: list[Any] = [1e308, 2**64, -(2**63) - 1, None, _deep(50)]


def field_names() -> list[str]:
    """Every input name a template renders or a view reads, and every payload field."""
    names: set[str] = set()
    for html in (ROOT / "web" / "templates").rglob("*.html"):
        names |= set(re.findall(r'name="([A-Za-z_][\w-]*)"', html.read_text(encoding="utf-8")))
    for source in (ROOT / "web").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(r'(?:form|args|f)\.get(?:list)?\(\s*"([A-Za-z_][\w-]*)"', text))
        names |= {f"members-0-{n}" for n in re.findall(r'f"members-\{i\}-(\w+)"', text)}
    for wf in registry().workflows.values():
        names |= {"p_" + f.name for t in wf.transitions for f in t.payload}
    return sorted(names)


@pytest.fixture
def fuzzer(world: World) -> str:
    """A user with every role at the district: every form is open to it."""
    roles = [r for r in Role if r is not Role.SYSTEM]
    user = new_user("fuzzer", "全角色测试", world.district, roles, T0)
    user.password_hash = HASH
    world.session.add(user)
    world.session.commit()
    world.users["fuzzer"] = user
    return "fuzzer"


class Sweep:
    """The routes with their path ids filled from the scene, and how to post to each."""

    def __init__(self, world: World, scene: Scene, app: Flask, client: FlaskClient) -> None:
        self.world, self.scene, self.app, self.client = world, scene, app, client
        self.names = field_names()
        self.statuses: dict[int, int] = {}
        s = world.session
        s.rollback()
        roll = prepare_roll(s, world.actor("reviewer"), world.township.code, "2026-04", T0)
        member = s.scalars(
            select(Member.id).where(Member.household_id == scene.own.household.id)
        ).first()
        tokens = [
            create_token(
                s,
                user_id=world.users["fuzzer"].id,
                org_code=world.district.code,
                name=f"模糊测试 {i}",
                days=30,
                now=T0,
                created_by_id=None,
            )
            for i in range(2)
        ]
        self.api_secret = tokens[0].secret
        self.roll_id, self.roll_case = roll.id, roll.case_id
        self.ids = {
            "household_id": scene.own.household.id,
            "member_id": member or 1,
            "att_id": scene.own.attachment.id,
            "roll_id": roll.id,
            "user_id": world.users["clerk"].id,  # never the fuzzer's own account
            "token_id": tokens[1].token.id,  # never the token the API calls use
        }
        app.config["API_RATE_LIMIT"] = 10**6
        self.rules = [
            (rule, method)
            for rule in app.url_map.iter_rules()
            if rule.endpoint not in SKIPPED_ENDPOINTS and not rule.rule.endswith(".pdf")
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        ]
        self.api_doc = client.get("/api/v1/openapi.json", headers=self.bearer).get_json()

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_secret}"}

    def fresh_case(self) -> tuple[int, str, int]:
        """A new 低保 case each round: an earlier round may have moved the last one on."""
        self.world.session.rollback()
        case = open_case(
            self.world.session,
            "dibao",
            self.scene.own.household.id,
            self.world.actor("clerk"),
            T0,
            summary="模糊测试",
        )
        return case.id, case.state, case.version

    def url(self, rule: Any, case_id: int, text: str, trigger: str) -> str:
        values: dict[str, Any] = {}
        for arg in rule.arguments:
            if arg == "trigger":
                values[arg] = trigger
            elif arg == "case_id":
                values[arg] = case_id
            elif arg in self.ids:
                values[arg] = self.ids[arg]
            elif type(rule._converters[arg]).__name__ == "BoundedInt":
                values[arg] = 1
            else:
                values[arg] = text
        path = rule.rule
        for arg, value in values.items():
            path = re.sub(r"<(?:[^>:]+:)?" + arg + ">", quote(str(value), safe=""), path)
        return path

    def requests(
        self, pick: Any, text: str, case: tuple[int, str, int]
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(method, url, fields) for every route: declared payload fields for the fire forms,
        every known name for the rest. `pick(i)` gives the value of the i-th field."""
        case_id, state, version = case
        dibao, roll = registry().workflow("dibao"), registry().workflow("roll")
        for rule, method in self.rules:
            if rule.endpoint in ("cases.fire_view", "payments.fire_view"):
                wf = dibao if rule.endpoint == "cases.fire_view" else roll
                options = wf.transitions_from(state if wf is dibao else "prepared")
                t = options[len(text) % len(options)] if options else None
                trigger = t.trigger if t else text
                fields = {"p_" + f.name: pick(i) for i, f in enumerate(t.payload if t else ())}
                current = version if wf is dibao else self._roll_version()
                fields["expected_version"] = str(current)
                yield method, self.url(rule, case_id, text, trigger), fields
                continue
            fields = {name: pick(i) for i, name in enumerate(self.names)}
            yield method, self.url(rule, case_id, text, text), fields

    def _roll_version(self) -> int:
        from caseflow.db.models import Case

        self.world.session.rollback()
        found = self.world.session.get(Case, self.roll_case)
        return found.version if found is not None else 1

    def send(self, method: str, url: str, fields: dict[str, Any]) -> None:
        if method == "GET":
            short = {k: v[:GET_VALUE_MAX] for k, v in fields.items()}
            response = self.client.get(url, query_string=short)
        else:
            response = self.client.open(url, method=method, data=fields)
        ok = response.status_code < 500 or (url == READINESS and response.status_code == 503)
        assert ok, (method, url, response.status_code)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1

    def still_working(self) -> None:
        """The sweep reached the views: still signed in, and input was refused by name."""
        assert self.client.get("/queue/").status_code == 200
        assert self.statuses.get(400, 0) > 0 and self.statuses.get(200, 0) > 0, self.statuses

    def api(self, pick: Any, json_pick: Any, case_id: int) -> None:
        """Every documented operation with every parameter, and fire bodies of nasty JSON."""
        dibao = registry().workflow("dibao")
        fields = sorted({f.name for t in dibao.transitions for f in t.payload})
        for path, methods in self.api_doc["paths"].items():
            for method, op in methods.items():
                url, query = path, {}
                for i, p in enumerate(op["parameters"]):
                    if p["in"] == "path":
                        value = case_id if p["name"] == "case_id" else self.ids.get(p["name"], 1)
                        url = url.replace("{" + p["name"] + "}", str(value))
                    else:
                        query[p["name"]] = pick(i)
                if method == "get":
                    response = self.client.get(
                        "/api/v1" + url, query_string=query, headers=self.bearer
                    )
                    assert response.status_code < 500, (url, query, response.data[:300])
                    continue
                bodies = [
                    {
                        "trigger": t.trigger,
                        "version": json_pick(0),
                        "payload": {f: json_pick(i + 1) for i, f in enumerate(fields)},
                    }
                    for t in dibao.transitions[:6]
                ] + [json_pick(0), _deep(200)]
                for body in bodies:
                    raw = json.dumps(body) if not isinstance(body, str) else body
                    response = self.client.post(
                        "/api/v1" + url,
                        data=raw,
                        headers=self.bearer,
                        content_type="application/json",
                        query_string=query,
                    )
                    assert response.status_code < 500, (url, raw[:200], response.data[:300])
                raw_tokens = ["NaN", "Infinity", "-Infinity", "1e999", DEEP_LIST, "{"]
                for token in raw_tokens:
                    body_text = f'{{"trigger": "withdraw", "version": {token}, "payload": {{}}}}'
                    response = self.client.post(
                        "/api/v1" + url,
                        data=body_text,
                        headers=self.bearer,
                        content_type="application/json",
                    )
                    assert response.status_code < 500, (url, token, response.data[:300])


@pytest.fixture
def sweep(fuzzer: str, world: World, scene: Scene, app: Flask, client: FlaskClient) -> Sweep:
    assert client.post("/login", data={"username": fuzzer, "password": PASSWORD}).status_code == 302
    return Sweep(world, scene, app, client)


def test_every_field_meets_each_kind_of_hostile_value_below_500(sweep: Sweep) -> None:
    """Four sweeps over every route: in sweep k, field i gets the i-th value of kind k."""
    for k, kind in enumerate(KINDS):
        case = sweep.fresh_case()
        for method, url, fields in sweep.requests(
            lambda i, kind=kind: kind[i % len(kind)], kind[k % len(kind)][:40], case
        ):
            sweep.send(method, url, fields)
        sweep.api(lambda i, kind=kind: kind[i % len(kind)], lambda i: JSON_KIND[i % 5], case[0])
    sweep.still_working()


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.lists(VALUES, min_size=7, max_size=7),
    json_values=st.lists(JSON_VALUES, min_size=5, max_size=5),
)
def test_generated_values_in_every_field_answer_below_500(
    sweep: Sweep, values: list[str], json_values: list[Any]
) -> None:
    """Generated values spread over every field of every route (seven per round)."""
    case = sweep.fresh_case()
    for method, url, fields in sweep.requests(
        lambda i: values[i % len(values)], values[0][:40], case
    ):
        sweep.send(method, url, fields)
    sweep.api(
        lambda i: values[i % len(values)], lambda i: json_values[i % len(json_values)], case[0]
    )
    sweep.still_working()
