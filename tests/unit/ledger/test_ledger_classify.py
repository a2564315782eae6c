"""Grouping households across sources and putting each into exactly one of C1–C8."""

from __future__ import annotations

from ledger_support import pid

from caseflow.ledger.classify import Figures, classify, labour_level
from caseflow.ledger.matching import group_units
from caseflow.ledger.units import ListHit, Person, Unit

FIG = Figures(dibao_standard_fen=54000, registry_line_fen=60000, effective_from="2026-01-01")
HEAD, WIFE, SON = pid(1960, 11), pid(1962, 12), pid(1990, 13)


def persons(*ids: str) -> list[Person]:
    names = {HEAD: ("张三", "户主"), WIFE: ("李梅", "配偶"), SON: ("张小", "之子")}
    return [Person(i, *names.get(i, ("某人", "其他")), labour_capacity="普通劳动力") for i in ids]


def reg(*ids: str, **kw: object) -> Unit:
    unit = Unit(
        "registry",
        "no:A1",
        persons(*ids),
        head_name="张三",
        township_code="640502100",
        village="示例村",
        attribute="低保贫困户",
        income_fen=40000,
    )
    for k, v in kw.items():
        setattr(unit, k, v)
    return unit


def dibao(*ids: str, **kw: object) -> Unit:
    unit = Unit(
        "dibao_roster",
        "head:x",
        persons(*ids),
        program="dibao",
        head_name="张三",
        township_code="640502100",
        village="示例村",
        income_fen=40000,
    )
    for k, v in kw.items():
        setattr(unit, k, v)
    return unit


def death(ident: str) -> dict[str, list[ListHit]]:
    return {ident: [ListHit(ident, "张三", "deaths", 9, 4)]}


def test_c1_consistent() -> None:
    found = classify([reg(HEAD, WIFE), dibao(HEAD, WIFE)], {}, FIG)
    assert found.category == "C1"
    assert found.evidence["registry"][0]["persons"][0]["id_number"] == HEAD


def test_c2_attribute_size_or_class() -> None:
    found = classify([reg(HEAD, WIFE, attribute="一般贫困户"), dibao(HEAD, WIFE)], {}, FIG)
    assert found.category == "C2" and "应为「低保贫困户」" in found.reasons[0]
    found = classify([reg(HEAD, WIFE), dibao(HEAD, WIFE, household_size=3)], {}, FIG)
    assert found.category == "C2" and "家庭人口 3 人" in found.reasons[0]
    found = classify([reg(HEAD, WIFE, aid_class="A"), dibao(HEAD, WIFE, aid_class="C")], {}, FIG)
    assert found.category == "C2" and "A、C" in found.reasons[0]


def test_c7_member_differences() -> None:
    found = classify([reg(HEAD, WIFE, SON), dibao(HEAD, WIFE)], {}, FIG)
    assert found.category == "C7"
    assert found.evidence["differences"]["only_in_registry"] == [SON]
    assert "张小" in found.reasons[0]


def test_c8_from_another_departments_list() -> None:
    found = classify([dibao(HEAD, WIFE)], death(HEAD), FIG)
    assert found.category == "C8"
    assert found.evidence["other_lists"][0]["label"] == "死亡人员名单"


def test_precedence_c8_over_c7_over_c2() -> None:
    messy = [reg(HEAD, WIFE, SON, attribute="一般贫困户"), dibao(HEAD, WIFE, aid_class="B")]
    assert classify(messy, death(WIFE), FIG).category == "C8"
    assert classify(messy, {}, FIG).category == "C7"
    c2 = [reg(HEAD, WIFE, attribute="一般贫困户"), dibao(HEAD, WIFE)]
    assert classify(c2, {}, FIG).category == "C2"


def test_registry_only_c3_and_c4() -> None:
    weak = Unit(
        "registry",
        "no:B",
        [Person(HEAD, "张三", "户主", "丧失劳动力")],
        income_fen=30000,
        main_cause="缺资金",
    )
    found = classify([weak], {}, FIG)
    assert found.category == "C3" and found.evidence["signals"]["below_dibao_standard"]
    ill = Unit("registry", "no:B", persons(HEAD), income_fen=30000, main_cause="因病")
    assert classify([ill], {}, FIG).category == "C3"
    able_poor = Unit("registry", "no:B", persons(HEAD), income_fen=30000, main_cause="缺资金")
    assert classify([able_poor], {}, FIG).category == "C4"
    ill_rich = Unit("registry", "no:B", persons(HEAD), income_fen=80000, main_cause="因病")
    assert classify([ill_rich], {}, FIG).category == "C4"
    unknown = Unit("registry", "no:B", persons(HEAD), main_cause="因病")
    assert classify([unknown], {}, FIG).category == "C4"


def test_a_deceased_head_on_the_registry_only_is_c8_with_the_death_record() -> None:
    # The precedence holds on one list too: an eligible-looking household whose head died is
    # not invited to apply (C3), it is C8 and the evidence names the death record.
    found = classify([reg(HEAD, income_fen=10000, main_cause="因病")], death(HEAD), FIG)
    assert found.category == "C8"
    assert found.evidence["other_lists"][0]["kind"] == "deaths"
    assert found.reasons[0].startswith("户主") and "死亡" in found.reasons[0]
    assert classify([reg(HEAD, income_fen=10000, main_cause="因病")], {}, FIG).category == "C3"


def test_assistance_only_c5_and_c6() -> None:
    assert classify([dibao(HEAD, income_fen=50000)], {}, FIG).category == "C5"
    assert classify([dibao(HEAD, income_fen=60000)], {}, FIG).category == "C6"
    assert classify([dibao(HEAD, income_fen=None)], {}, FIG).category == "C6"


def test_labour_levels() -> None:
    assert labour_level("丧失劳动力") == "none"
    assert labour_level("无劳动能力") == "none"
    assert labour_level("部分丧失劳动能力") == "partial"
    assert labour_level("弱劳动力或半劳动力") == "partial"
    assert labour_level("普通劳动力") == "full"
    assert labour_level("技能劳动力") == "full"


def test_grouping_by_id_and_by_second_key() -> None:
    units = [
        reg(HEAD, WIFE),
        dibao(WIFE, SON),  # shares WIFE → same household
        reg(pid(1970, 1), head_name="王五", key="no:C"),
        dibao(pid(1971, 2), head_name="王五"),  # no shared person, same head + place
        dibao(pid(1972, 3), head_name="赵六"),
    ]
    groups = sorted(sorted(g) for g in group_units(units))
    assert groups == [[0, 1], [2, 3], [4]]


def test_second_key_is_not_used_when_ambiguous() -> None:
    units = [
        reg(pid(1970, 1), head_name="王五", key="no:C"),
        dibao(pid(1971, 2), head_name="王五"),
        dibao(pid(1972, 3), head_name="王五", key="head:y"),
    ]
    assert len(group_units(units)) == 3
