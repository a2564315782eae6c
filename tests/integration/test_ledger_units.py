"""The comparison reads an import's rows in storage order and assembles the households itself:
it must give exactly the households the key-ordered read gave (persons in file order, household
fields from the first row that has them), also when a household's rows are not together, also
with another import's rows in the table. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger_support import REGISTRY_HEADER, ROSTER_HEADER, pid, write_csv
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import T0, World

from caseflow.db.models import RosterRow
from caseflow.ledger.importer import import_roster
from caseflow.ledger.units import Person, Unit, roster_units

HOUSEHOLD_FIELDS = (
    "head_name",
    "township",
    "township_code",
    "village",
    "attribute",
    "main_cause",
    "income_fen",
    "aid_class",
    "household_size",
)


def reference_units(session: Session, import_id: int, source: str) -> list[Unit]:
    """The households as the comparison used to read them: ordered by household key and row."""
    rows = session.scalars(
        select(RosterRow)
        .where(RosterRow.import_id == import_id)
        .order_by(RosterRow.household_key, RosterRow.row_no)
    ).all()
    program = {"dibao_roster": "dibao"}.get(source)
    units: list[Unit] = []
    for r in rows:
        if not units or units[-1].key != r.household_key:
            units.append(Unit(source, r.household_key, program=program, import_id=import_id))
        unit = units[-1]
        unit.persons.append(Person(r.id_number, r.name, r.relation, r.labour_capacity, r.health))
        for name in HOUSEHOLD_FIELDS:
            value: Any = getattr(r, name)
            if value not in (None, "") and getattr(unit, name) in (None, ""):
                setattr(unit, name, value)
    return units


def test_storage_order_read_gives_the_key_ordered_households(world: World, tmp_path: Path) -> None:
    s = world.session
    # Household B's rows are split by household A's; A's head row has no income and no cause,
    # its second row has them; C lists an unknown township (no code).
    reg_rows = [
        ["B", "王五", "滨河镇", "二村", "王五", pid(1950, 1), "户主", "健康", "普通劳动力",
         "一般贫困户", "因病", "3600"],
        ["A", "张三", "滨河镇", "一村", "张三", pid(1951, 2), "户主", "健康", "普通劳动力",
         "低保贫困户", "", ""],
        ["A", "张三", "滨河镇", "一村", "李梅", pid(1952, 3), "配偶", "残疾", "丧失劳动力",
         "低保贫困户", "因残", "4800"],
        ["B", "王五", "滨河镇", "二村", "王小", pid(1990, 4), "之子", "健康", "普通劳动力",
         "一般贫困户", "因病", "3600"],
        ["C", "赵六", "外乡镇", "三村", "赵六", pid(1953, 5), "户主", "健康", "普通劳动力",
         "特困供养贫困户", "因灾", "1200"],
        ["A", "张三", "滨河镇", "一村", "张小", pid(1991, 6), "之子", "健康", "普通劳动力",
         "低保贫困户", "因病", "6000"],
    ]  # fmt: skip
    roster_rows = [
        ["王五", "滨河镇", "二村", "王五", pid(1950, 1), "户主", "A", "2", "300"],
        ["钱七", "640502101", "四村", "钱七", pid(1954, 7), "户主", "", "1", ""],
        ["王五", "滨河镇", "二村", "王小", pid(1990, 4), "之子", "A", "2", "300"],
    ]
    registry = import_roster(
        s, write_csv(tmp_path / "r.csv", REGISTRY_HEADER, reg_rows, "gbk"), "registry", None, T0
    )
    roster = import_roster(
        s,
        write_csv(tmp_path / "d.csv", ROSTER_HEADER, roster_rows, "utf-8"),
        "dibao_roster",
        None,
        T0,
    )
    assert registry.import_id is not None and roster.import_id is not None
    for import_id, source in ((registry.import_id, "registry"), (roster.import_id, "dibao_roster")):
        got = roster_units(s, import_id, source)
        assert got == reference_units(s, import_id, source)
    units = {u.key: u for u in roster_units(s, registry.import_id, "registry")}
    assert list(units) == ["no:A", "no:B", "no:C"]
    a = units["no:A"]
    assert [p.name for p in a.persons] == ["张三", "李梅", "张小"]  # file order
    assert (a.main_cause, a.income_fen, a.township_code) == ("因残", 40000, "640502100")
    assert units["no:C"].township_code is None
    assert roster_units(s, registry.import_id + roster.import_id + 100, "registry") == []
