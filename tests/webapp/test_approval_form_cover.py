"""The approval form starts with the members the rules cover ticked: in a 单人保 household (a
低保边缘 family whose severely disabled member may be covered alone, 民发〔2021〕57号 第八条) only
that member, and the computed amount beside it is that member's; elsewhere the whole household."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from support import T0, World
from walker import Walker
from websupport import AuthActions

from caseflow.db.models import Case, MemberIncome
from caseflow.kernel.money import format_yuan
from caseflow.kernel.timeutil import to_local
from caseflow.payments.grants import compute_dibao
from caseflow.workflow.registry import registry


def _ticked(page: str, trigger: str) -> set[int]:
    """Member ids ticked in the covered-members field of the action form for `trigger`."""
    form = page.split(f'data-trigger="{trigger}"')[1].split("</form>")[0]
    boxes = re.findall(
        r'<input type="checkbox" name="p_covered_members" value="(\d+)"([^>]*)>', form
    )
    assert boxes, "the form has no covered-members field"
    return {int(value) for value, rest in boxes if "checked" in rest}


def _in_district_review(world: World, walker: Walker, single: bool) -> Case:
    hh = world.household(size=2)
    head, other = sorted(hh.members, key=lambda m: m.id)
    head.incomes.append(MemberIncome(source="wages", monthly_fen=120000 if single else 20000))
    if single:
        other.disability_grade, other.disability_type = 1, "physical"
        other.labour_capacity = "none"
    world.session.commit()
    return walker.walk_household(hh.id, registry().workflow("dibao"), "district_review")


def test_a_single_person_household_has_only_the_member_covered_alone_ticked(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    walker = Walker(world, T0)
    case = _in_district_review(world, walker, single=True)
    disabled = sorted(case.household.members, key=lambda m: m.id)[1]
    auth.login("approver")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _ticked(page, "approve") == {disabled.id}
    # The amount beside the form is the one member's, not the whole household's.
    day = to_local(walker.tick()).date()
    alone = compute_dibao(world.session, case, [disabled.id], "A", day).amount_fen
    preview = page.split('class="decision-preview"')[1].split("</p>")[0]
    assert "保障对象 1 人" in preview and format_yuan(alone) in preview


def test_an_ordinary_household_has_every_member_ticked(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    case = _in_district_review(world, Walker(world, T0), single=False)
    auth.login("approver")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _ticked(page, "approve") == {m.id for m in case.household.members}
