"""The org tree: 沙坡头区 (640502) and its 11 townships; villages are added below them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit

DISTRICT = ("640502", "沙坡头区")
TOWNSHIPS: tuple[tuple[str, str], ...] = (
    ("640502100", "滨河镇"),
    ("640502101", "文昌镇"),
    ("640502102", "东园镇"),
    ("640502103", "柔远镇"),
    ("640502104", "镇罗镇"),
    ("640502105", "宣和镇"),
    ("640502106", "永康镇"),
    ("640502107", "常乐镇"),
    ("640502108", "迎水桥镇"),
    ("640502109", "兴仁镇"),
    ("640502200", "香山乡"),
)


def add_unit(session: Session, code: str, name: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    """Add one unit below `parent`; its path extends the parent's."""
    path = f"{parent.path if parent else '/'}{code}/"
    unit = OrgUnit(code=code, name=name, level=level, parent=parent, path=path)
    session.add(unit)
    session.flush()
    return unit


def ensure_district(session: Session) -> OrgUnit:
    """Create the district and its townships if missing; return the district."""
    district = session.scalar(select(OrgUnit).where(OrgUnit.code == DISTRICT[0]))
    if district is None:
        district = add_unit(session, DISTRICT[0], DISTRICT[1], "district", None)
        for code, name in TOWNSHIPS:
            add_unit(session, code, name, "township", district)
    return district


def unit_by_code(session: Session, code: str) -> OrgUnit:
    """The unit with this code (raises if absent)."""
    return session.execute(select(OrgUnit).where(OrgUnit.code == code)).scalar_one()
