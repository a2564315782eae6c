"""Data for bench/ledger.py: a poverty registry (建档立卡 layout) and a 低保 roster, written as .csv
(GBK, as Chinese Excel saves it) and .xlsx (openpyxl write_only), deterministic for a given scale.

Shape: registry households of 1–5 persons (about 3 on average); about 55 % of the 低保 roster's
persons are registry persons (whole households, some with a member more or less, some with another
attribute or class), the rest are households the registry does not know. A few cells are messy
the way real exports are (trailing spaces, lowercase x, full-width digits) but every row is valid,
so the bench measures a complete import.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from caseflow.accounts.orgs import TOWNSHIPS
from caseflow.kernel.idnumber import make_id_number

REGISTRY_PERSONS = 500_000
ROSTER_PERSONS = 200_000
SEED = 20261202

REGISTRY_HEADER = [
    "户编号",
    "户主姓名",
    "乡（镇）",
    "行政村",
    "姓名",
    "证件号码",
    "与户主关系",
    "健康状况",
    "劳动技能",
    "贫困户属性",
    "主要致贫原因",
    "人均纯收入（元）",
]
ROSTER_HEADER = [
    "户主姓名",
    "乡镇",
    "村（居）",
    "成员姓名",
    "身份证号码",
    "与户主关系",
    "保障类别",
    "家庭人口数",
    "家庭月人均收入",
]
TITLE = "沙坡头区建档立卡贫困户信息表"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红建国志海燕波文"
HEALTH = ("健康", "健康", "健康", "长期慢性病", "患有大病", "残疾")
LABOUR = ("普通劳动力", "普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
ATTRIBUTE = ("一般贫困户", "低保贫困户", "特困供养贫困户")
CAUSES = ("因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金", "其它")
RELATIONS = ("配偶", "之子", "之女", "之孙子", "之孙女", "之父", "之母")
FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass(frozen=True)
class Files:
    registry_csv: Path
    roster_csv: Path
    registry_xlsx: Path
    roster_xlsx: Path


def person_id(i: int) -> str:
    """The i-th distinct valid ID number (births spread over 1940–2008, up to 999 a day)."""
    born = date(1940, 1, 1) + timedelta(days=i % 25_000)
    return make_id_number("640502", born, i // 25_000 + 1)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _messy_id(rng: random.Random, ident: str) -> str:
    roll = rng.random()
    if roll < 0.004:
        return ident.translate(FULLWIDTH)
    if roll < 0.008 and ident.endswith("X"):
        return ident[:-1] + "x"
    if roll < 0.012:
        return ident + " "
    return ident


@dataclass
class _Household:
    no: str
    township: str
    village: str
    members: list[tuple[str, str, str]]  # (name, id, relation)
    attribute: str
    cause: str
    income_year: int


def _registry_households(rng: random.Random, persons: int) -> Iterator[_Household]:
    i = 0
    n = 0
    while i < persons:
        size = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)), persons - i)
        code, township = TOWNSHIPS[n % len(TOWNSHIPS)]
        members = [(_name(rng), person_id(i), "户主")]
        members += [(_name(rng), person_id(i + k), rng.choice(RELATIONS)) for k in range(1, size)]
        yield _Household(
            no=f"{code}{n:08d}",
            township=township,
            village=f"{township[:2]}{(n // 11) % 40 + 1:02d}村",
            members=members,
            attribute=rng.choice(ATTRIBUTE),
            cause=rng.choice(CAUSES),
            income_year=rng.randrange(3000, 15000),
        )
        i += size
        n += 1


def registry_rows(scale: float) -> Iterator[list[object]]:
    """Rows of the registry (12 columns), person by person."""
    rng = random.Random(SEED)
    for hh in _registry_households(rng, int(REGISTRY_PERSONS * scale)):
        head = hh.members[0][0]
        for name, ident, relation in hh.members:
            yield [
                hh.no,
                head,
                hh.township,
                hh.village,
                name + (" " if rng.random() < 0.01 else ""),
                _messy_id(rng, ident),
                relation,
                rng.choice(HEALTH),
                rng.choice(LABOUR),
                hh.attribute,
                hh.cause,
                str(hh.income_year),
            ]


def roster_rows(scale: float) -> Iterator[list[object]]:
    """Rows of the 低保 roster (9 columns): registry households first, then unknown ones."""
    rng = random.Random(SEED + 1)
    target = int(ROSTER_PERSONS * scale)
    shared_target = int(target * 0.55)
    written = 0
    # Registry households again, re-drawn with the registry's own generator, every third one.
    source = _registry_households(random.Random(SEED), int(REGISTRY_PERSONS * scale))
    for n, hh in enumerate(source):
        if written >= shared_target:
            break
        if n % 3:
            continue
        members = list(hh.members)
        if len(members) > 2 and rng.random() < 0.05:
            members.pop()  # a member moved out: C7
        aid = rng.choice(("A", "B", "C"))
        for name, ident, relation in members:
            yield _roster_row(
                rng,
                hh.township,
                hh.village,
                members[0][0],
                name,
                ident,
                relation,
                aid,
                len(members),
            )
            written += 1
    k = int(REGISTRY_PERSONS * scale) + 1_000
    n = 0
    while written < target:
        size = min(rng.choice((1, 2, 3, 3, 4)), target - written)
        _code, township = TOWNSHIPS[n % len(TOWNSHIPS)]
        village = f"{township[:2]}{(n // 11) % 40 + 1:02d}村"
        members = [(_name(rng), person_id(k), "户主")]
        members += [(_name(rng), person_id(k + j), rng.choice(RELATIONS)) for j in range(1, size)]
        aid = rng.choice(("A", "B", "C"))
        for name, ident, relation in members:
            yield _roster_row(
                rng, township, village, members[0][0], name, ident, relation, aid, size
            )
            written += 1
        k += size
        n += 1


def _roster_row(
    rng: random.Random,
    township: str,
    village: str,
    head: str,
    name: str,
    ident: str,
    relation: str,
    aid: str,
    size: int,
) -> list[object]:
    return [
        head,
        township,
        village,
        name,
        _messy_id(rng, ident),
        relation,
        aid,
        str(size),
        f"{rng.randrange(100, 900)}.{rng.randrange(100):02d}",
    ]


def _title(width: int) -> list[list[object]]:
    return [
        [TITLE, *[None] * (width - 1)],
        [None] * width,
        ["填报单位：沙坡头区", *[None] * (width - 1)],
    ]


def _write_csv(path: Path, header: list[str], rows: Iterator[list[object]]) -> None:
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="gbk", newline="") as fh:
        writer = csv.writer(fh)
        for title in _title(len(header)):
            writer.writerow(["" if c is None else c for c in title])
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)


def _write_xlsx(path: Path, header: list[str], rows: Iterator[list[object]]) -> None:
    tmp = path.with_name(path.name + ".part")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    for title in _title(len(header)):
        ws.append(title)
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(tmp)
    tmp.replace(path)


def make_files(folder: Path, scale: float, *, xlsx: bool = True) -> Files:
    """Write (or reuse, when already there) the four files for `scale` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"s{scale:g}"
    files = Files(
        folder / f"registry-{tag}.csv",
        folder / f"dibao-{tag}.csv",
        folder / f"registry-{tag}.xlsx",
        folder / f"dibao-{tag}.xlsx",
    )
    if not files.registry_csv.exists():
        _write_csv(files.registry_csv, REGISTRY_HEADER, registry_rows(scale))
    if not files.roster_csv.exists():
        _write_csv(files.roster_csv, ROSTER_HEADER, roster_rows(scale))
    if xlsx and not files.registry_xlsx.exists():
        _write_xlsx(files.registry_xlsx, REGISTRY_HEADER, registry_rows(scale))
    if xlsx and not files.roster_xlsx.exists():
        _write_xlsx(files.roster_xlsx, ROSTER_HEADER, roster_rows(scale))
    return files
