"""The standing publicity (长期公示) of 低保 and 特困 recipients in a village or township: the
household head's name masked (`kernel.names.mask_name`), the programme and class, the persons
covered and the monthly amount — always computed from the entitlement versions in force this
month (`read.recipients.in_payment`), so the list is current whenever it is printed.

What is published follows 民发〔2021〕57号 第二十四条 (申请人姓名、家庭成员数量、保障金额; "不得公开
无关信息": no ID number, no address) and, for 特困, 民发〔2021〕43号 第十七条 (公布 in the village).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit
from caseflow.db.scope import in_jurisdiction
from caseflow.kernel.actors import Actor
from caseflow.kernel.errors import CaseNotFound
from caseflow.kernel.names import mask_name
from caseflow.policy.tekun import CARE_LEVEL_ZH
from caseflow.read.recipients import PROGRAMME_LABELS, in_payment, place_names


@dataclass(frozen=True)
class StandingRow:
    """One household on the list, as the public sees it."""

    village: str
    name: str  # masked
    programme: str  # 低保 | 特困
    support_class: str  # A类 / B类 / C类, or the 特困 care level
    covered: int
    amount_fen: int


@dataclass(frozen=True)
class StandingList:
    unit: OrgUnit
    month: str
    rows: list[StandingRow]

    @property
    def total_fen(self) -> int:
        return sum(r.amount_fen for r in self.rows)

    @property
    def persons(self) -> int:
        return sum(r.covered for r in self.rows)

    def count(self, programme: str) -> int:
        """Households of one programme (its Chinese label)."""
        return sum(1 for r in self.rows if r.programme == programme)


def _class_label(programme: str, aid_class: str, care_level: str) -> str:
    if programme == "tekun":
        return CARE_LEVEL_ZH.get(care_level, "—")
    return f"{aid_class}类" if aid_class else "—"


def standing_list(session: Session, actor: Actor, org_code: str, month: str) -> StandingList:
    """Recipients in payment in `month` under the unit with `org_code`; CaseNotFound when the
    unit is unknown or outside the actor's jurisdiction."""
    unit = session.scalar(
        select(OrgUnit).where(OrgUnit.code == org_code[:20], in_jurisdiction(OrgUnit.path, actor))
    )
    if unit is None:
        raise CaseNotFound("单位不存在或不在您的管辖范围内")
    names = place_names(session, unit.path)
    rows = [
        StandingRow(
            village=names.get(r.village_code, names.get(r.township_code, "")),
            name=mask_name(r.head_name),
            programme=PROGRAMME_LABELS[r.programme],
            support_class=_class_label(r.programme, r.aid_class, r.care_level),
            covered=r.covered,
            amount_fen=r.amount_fen,
        )
        for r in in_payment(session, unit.path, month)
    ]
    rows.sort(key=lambda r: (r.village, r.programme != "低保", r.support_class, r.name))
    return StandingList(unit, month, rows)
