"""Dated policy configuration: seed file, in_force, YAML validation and round trip."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from policy_factories import SEED, config, seed_table

from caseflow.policy.config import (
    NoPolicyInForce,
    PolicyConfigError,
    PolicyTable,
    dump_policy_yaml,
    load_policy_yaml,
    parse_policy,
)


def test_seed_file_is_marked_as_example() -> None:
    text = SEED.read_text(encoding="utf-8")
    assert "示例数值" in text
    table = seed_table()
    assert table.region == "640502"
    assert [c.effective_from for c in table.configs] == [date(2025, 1, 1), date(2026, 1, 1)]
    assert all(c.is_example for c in table.configs)
    assert "示例数值，待管理员确认" in table.configs[0].describe_zh()


def test_seed_values_are_plausible_and_fen() -> None:
    for c in seed_table().configs:
        # Rural 低保 around 6,000–7,000 yuan a year ⇒ 500–583.33 yuan a month.
        assert 50000 <= c.dibao_standard_fen <= 58334
        assert isinstance(c.dibao_standard_fen, int)
        assert c.tekun.ratio >= Decimal("1.3")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2025, 12, 31), date(2025, 1, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2030, 6, 1), date(2026, 1, 1)),
    ],
)
def test_in_force_picks_latest_started(day: date, expected: date) -> None:
    assert seed_table().in_force(day).effective_from == expected


def test_in_force_before_first_config_raises_clear_error() -> None:
    with pytest.raises(NoPolicyInForce) as err:
        seed_table().in_force(date(2024, 12, 31))
    assert "2024-12-31 没有施行中的低保标准配置" in err.value.message_zh
    assert "2025-01-01" in err.value.message_zh


def test_with_config_leaves_the_old_table_unchanged() -> None:
    table = PolicyTable("640502", (config(),))
    mid_year = config(effective_from=date(2026, 7, 1), dibao_standard_fen=58000)
    newer = table.with_config(mid_year)
    assert table.in_force(date(2026, 8, 1)).dibao_standard_fen == 56000
    assert newer.in_force(date(2026, 8, 1)).dibao_standard_fen == 58000
    assert newer.in_force(date(2026, 6, 30)).dibao_standard_fen == 56000


def test_table_refuses_duplicate_dates_and_mixed_regions() -> None:
    with pytest.raises(PolicyConfigError):
        PolicyTable("640502", (config(), config()))
    with pytest.raises(PolicyConfigError):
        PolicyTable("640502", (config(region="640503"),))


def test_dump_and_load_round_trip(tmp_path: Path) -> None:
    text = dump_policy_yaml(seed_table(), "沙坡头区")
    assert text.startswith("# 含示例数值")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_policy_yaml(path) == seed_table()


def test_round_trip_of_non_example_config() -> None:
    table = PolicyTable("640502", (config(),))
    text = dump_policy_yaml(table)
    assert not text.startswith("#")
    assert parse_policy(yaml.safe_load(text)) == table


def test_tekun_ratio_defaults_to_1_3(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace('      ratio: "1.3"\n', "")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert all(c.tekun.ratio == Decimal("1.3") for c in load_policy_yaml(path).configs)


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        (
            "dibao_standard_fen: 54000",
            "dibao_standard_fen: 540.5",
            "configs[0].dibao_standard_fen",
            "必须是不小于 0 的整数（单位：分）",
        ),
        (
            "dibao_standard_fen: 54000",
            "dibao_standard_fen: 0",
            "configs[0].dibao_standard_fen",
            "低保标准不能为 0",
        ),
        ("label: 2025 年度农村低保标准（示例）", "titel: x", "configs[0].label", "缺少此项"),
        ('ratio: "1.3"', 'ratio: "1.2"', "configs[0].tekun.ratio", "不得低于低保标准的 1.3 倍"),
        ('ratio: "1.3"', 'ratio: "abc"', "configs[0].tekun.ratio", "必须是数值"),
        ("amount_method: gap", "amount_method: fixed", "configs[0].amount_method", "gap / class"),
        (
            "effective_from: 2025-01-01",
            "effective_from: 2025/01/01",
            "configs[0].effective_from",
            "YYYY-MM-DD",
        ),
        (
            "effective_from: 2026-01-01",
            "effective_from: 2025-01-01",
            "configs[1].effective_from",
            "重复",
        ),
        (
            "max_housing_units: 1",
            "max_housing_units: -1",
            "configs[0].property.max_housing_units",
            "不小于 0",
        ),
        ('因病: "12"', '因病: "许多"', "configs[0].temporary.cap_multiples.因病", "数值"),
        ("is_example: true", "is_example: maybe", "configs[0].is_example", "true 或 false"),
        ("rule: highest", "rule: lowest", "configs[0].top_ups.rule", "highest / sum"),
        (
            "    label: 2025 年度农村低保标准（示例）",
            "    label: 2025 年度农村低保标准（示例）\n    dibao_standrd_fen: 1",
            "configs[0].dibao_standrd_fen",
            "未知配置项",
        ),
        ('region: "640502"', "regio: 1", "region", "缺少此项"),
        (
            "centralised_fen: 150000 ",
            "centralised_fen: 0 ",
            "configs[0].orphans.centralised_fen",
            "孤儿基本生活保障标准不能为 0",
        ),
        (
            "      basis: 区级孤儿基本生活保障标准（待核实）\n",
            "",
            "configs[0].orphans.basis",
            "缺少此项",
        ),
    ],
)
def test_invalid_fields_are_named_with_file_and_line(
    tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyConfigError) as err:
        load_policy_yaml(path)
    message = err.value.message_zh
    assert f"配置项 {field}：" in message
    assert words in message
    assert message.startswith("bad.yaml:")
    line = int(message.split(":")[1])
    assert line > 0


def test_error_line_points_at_the_bad_key(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace(
        "dibao_standard_fen: 56000", "dibao_standard_fen: -5"
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    expected_line = 1 + text.splitlines().index(
        next(line for line in text.splitlines() if "dibao_standard_fen: -5" in line)
    )
    with pytest.raises(PolicyConfigError) as err:
        load_policy_yaml(path)
    assert err.value.message_zh.startswith(f"bad.yaml:{expected_line}: 配置项 configs[1]")


@pytest.mark.parametrize(
    "text", ["region: [\n", "region: '1'\nconfigs:\n  - effective_from: 2025-13-01\n"]
)
def test_broken_yaml_is_reported(tmp_path: Path, text: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyConfigError) as err:
        load_policy_yaml(path)
    assert err.value.message_zh.startswith("broken.yaml: YAML 格式错误")


def test_empty_configs_refused() -> None:
    with pytest.raises(PolicyConfigError) as err:
        parse_policy({"region": "640502", "configs": []}, "x.yaml")
    assert "configs" in err.value.message_zh


def test_describe_zh_for_confirmed_config() -> None:
    c = replace(config(), is_example=False)
    assert c.describe_zh() == "2026 年度标准（640502，2026-01-01 起施行）"


def test_a_tekun_standard_below_the_floor_is_a_policy_error_naming_the_field() -> None:
    from caseflow.policy.config import PolicyError, TekunStandardBelowFloor

    text = SEED.read_text(encoding="utf-8").replace(
        "      care_self_care_fen: 20000      # 全自理",
        "      basic_standard_fen: 70000\n      care_self_care_fen: 20000      # 全自理",
    )
    with pytest.raises(TekunStandardBelowFloor) as err:
        parse_policy(yaml.safe_load(text), "640502.yaml")
    assert isinstance(err.value, PolicyError)
    assert "configs[0].tekun.basic_standard_fen" in err.value.message_zh
    assert "700.00 元 低于下限 702.00 元" in err.value.message_zh  # ⌈1.3 × 540.00⌉ in 2025
    at_floor = text.replace("basic_standard_fen: 70000", "basic_standard_fen: 70200")
    assert parse_policy(yaml.safe_load(at_floor)).configs[0].tekun.basic_fen(54000) == 70200


def test_the_orphan_allowance_is_dated_and_carried_over_until_a_new_one() -> None:
    table = seed_table()
    assert table.configs[0].orphans is not None and table.configs[1].orphans is None
    config_2025, standard = table.orphan_standard(date(2026, 3, 1))
    assert config_2025.effective_from == date(2025, 1, 1)  # the 2026 config does not repeat it
    assert (standard.centralised_fen, standard.dispersed_fen) == (150000, 110000)
    assert "待核实" in standard.basis and "待核实" in standard.source
    assert standard.monthly_fen("centralised") != standard.monthly_fen("dispersed")
    risen = replace(
        table.configs[1],
        effective_from=date(2026, 7, 1),
        orphans=replace(standard, centralised_fen=160000, basis="区民政局 2026 年通知"),
    )
    newer = table.with_config(risen)
    assert newer.orphan_standard(date(2026, 6, 30))[1] is standard
    assert newer.orphan_standard(date(2026, 7, 1))[1].centralised_fen == 160000
    with pytest.raises(NoPolicyInForce, match="孤儿基本生活保障标准"):
        table.orphan_standard(date(2024, 12, 31))
