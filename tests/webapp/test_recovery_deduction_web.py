"""The district sets up a recovery's deduction from the rolls on the case page (refused, naming
the rule, where the rule set does not allow it); the roll page shows the withheld line."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from payments_support import TOWNSHIP, approve, at
from support import World
from websupport import AuthActions, Clock

from caseflow.db.models import Case
from caseflow.engine.fire import fire
from caseflow.oversight.recovery import propose_recovery
from caseflow.payments.roll import prepare_roll
from caseflow.workflow.registry import registry

NOW = at(2026, 7, 10)


def _decided(world: World) -> Case:
    source = approve(world, at(2026, 3, 20))
    form = {"case_no": source.case_no, "from_month": "2026-04", "to_month": "2026-06"}
    case = propose_recovery(world.session, world.actor("reviewer"), {**form, "cause": "fraud"}, NOW)
    fire(world.session, case.id, "decide_recovery", world.actor("approver"), NOW, {
        "amount_fen": 20000, "reasons": "骗取",
    })  # fmt: skip
    return case


def _act(client: FlaskClient, case_id: int, trigger: str, **fields: str) -> Any:
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    found = re.search(r'name="expected_version" value="(\d+)"', page)
    assert found is not None
    data = {"expected_version": found.group(1), **{f"p_{k}": v for k, v in fields.items()}}
    return client.post(f"/cases/{case_id}/fire/{trigger}", data=data, follow_redirects=True)


def test_the_deduction_is_set_up_on_the_case_page_and_shown_on_the_roll(
    world: World, app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    case = _decided(world)
    app.config["NOW"] = Clock(NOW)
    auth.login("approver")
    assert "从发放名册按月扣减" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    done = _act(client, case.id, "start_roll_deduction", reasons="按月扣减")
    assert "已完成：从发放名册按月扣减" in done.get_data(as_text=True)
    world.session.rollback()
    world.session.expire_all()  # the page fired in a session of its own
    assert world.session.get_one(Case, case.id).state == "deducting"
    roll = prepare_roll(world.session, world.actor("reviewer"), TOWNSHIP, "2026-07", at(2026, 7, 1))
    auth.logout()
    auth.login("reviewer")
    page = client.get(f"/payments/{roll.id}").get_data(as_text=True)
    assert "扣减追回款" in page and case.case_no in page


def test_refused_on_the_page_naming_the_rule(
    world: World,
    app: Flask,
    client: FlaskClient,
    auth: AuthActions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "ningxia-640502-2021"
    rs = registry().rulesets[key]
    off = replace(rs, params={**rs.params, "recovery_roll_deduction_allowed": False})
    monkeypatch.setitem(registry().rulesets, key, off)
    case = _decided(world)
    app.config["NOW"] = Clock(NOW)
    auth.login("approver")
    refused = _act(client, case.id, "start_roll_deduction", reasons="按月扣减")
    text = refused.get_data(as_text=True)
    assert "不允许从发放名册扣减追回款" in text and "recovery_roll_deduction_allowed" in text
    world.session.rollback()
    world.session.expire_all()
    assert world.session.get_one(Case, case.id).state == "repaying"
