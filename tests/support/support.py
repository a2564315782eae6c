"""Shared test world: the district, a village, staff for every role, a household."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from caseflow import SEED_DIR
from caseflow.accounts.orgs import add_unit, ensure_district, unit_by_code
from caseflow.db.models import Household, Member, OrgUnit, RelativeDeclaration, User
from caseflow.kernel.actors import Actor
from caseflow.kernel.idnumber import make_id_number
from caseflow.kernel.roles import Role
from caseflow.policy.store import enter_policy, load_policy_file

SH = ZoneInfo("Asia/Shanghai")
# A Monday in an ordinary working week.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)

TOWNSHIP_ROLES = [
    Role.CLERK,
    Role.INVESTIGATOR,
    Role.TOWNSHIP_REVIEWER,
    Role.TOWNSHIP_LEADER,
    Role.POVERTY_LIAISON,
]
DISTRICT_ROLES = [Role.DISTRICT_APPROVER, Role.DISTRICT_FINANCE, Role.SUPERVISOR, Role.ADMIN]


@dataclass
class World:
    session: Session
    district: OrgUnit
    township: OrgUnit
    village: OrgUnit
    other_township: OrgUnit
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        """The actor for a user created by the world (e.g. "clerk", "inv2", "approver")."""
        return Actor.from_user(self.users[name])

    def household(
        self, *, head_born: date = date(1970, 5, 1), unit: OrgUnit | None = None, size: int = 2
    ) -> Household:
        """A household with `size` members in the world's village (or `unit`)."""
        unit = unit or self.village
        hh = Household(
            org_unit_id=unit.id,
            org_path=unit.path,
            head_name="王大明",
            address="滨河镇示例村 1 组",
            created_at=T0,
            bank_account="6228480000001234",
        )
        self.session.add(hh)
        self.session.flush()
        seq = hh.id * 10
        self.session.add(
            Member(
                household_id=hh.id,
                name="王大明",
                relation="户主",
                sex="M",
                birth_date=head_born,
                id_number=make_id_number("640502", head_born, seq + 1),
            )
        )
        for i in range(1, size):
            born = date(1972, 1, 1 + i)
            self.session.add(
                Member(
                    household_id=hh.id,
                    name=f"家人{i}",
                    relation="配偶" if i == 1 else "子女",
                    sex="F",
                    birth_date=born,
                    id_number=make_id_number("640502", born, seq + 2 * i),
                )
            )
        self.session.commit()
        return hh

    def declare_relative(self, hh: Household, staff: str) -> None:
        """Declare a household as a near relative of a staff member."""
        user = self.users[staff]
        self.session.add(
            RelativeDeclaration(
                household_id=hh.id,
                staff_user_id=user.id,
                staff_name=user.display_name,
                relation="兄弟姐妹",
                declared_at=T0,
            )
        )
        self.session.commit()


def build_world(session: Session) -> World:
    """District, two townships, a village, and staff for every role (two where needed)."""
    from caseflow.accounts.users import new_user

    district = ensure_district(session)
    township = unit_by_code(session, "640502100")
    other = unit_by_code(session, "640502101")
    village = add_unit(session, "640502100001", "示例村", "village", township)
    world = World(session, district, township, village, other)
    specs: list[tuple[str, OrgUnit, list[str]]] = [
        ("clerk", township, [Role.CLERK]),
        ("inv1", township, [Role.INVESTIGATOR]),
        ("inv2", township, [Role.INVESTIGATOR]),
        ("reviewer", township, [Role.TOWNSHIP_REVIEWER]),
        ("leader", township, [Role.TOWNSHIP_LEADER]),
        ("liaison", township, [Role.POVERTY_LIAISON]),
        ("approver", district, [Role.DISTRICT_APPROVER]),
        ("approver2", district, [Role.DISTRICT_APPROVER]),
        ("finance", district, [Role.DISTRICT_FINANCE]),
        ("supervisor", district, [Role.SUPERVISOR]),
        ("admin", district, [Role.ADMIN]),
        ("other_reviewer", other, [Role.TOWNSHIP_REVIEWER]),
        ("other_clerk", other, [Role.CLERK]),
        ("other_inv", other, [Role.INVESTIGATOR]),
    ]
    for username, unit, roles in specs:
        user = new_user(username, username, unit, roles, T0)
        session.add(user)
        world.users[username] = user
    session.commit()
    seed_policy = SEED_DIR / "policy" / "640502-example.yaml"
    load_policy_file(session, seed_policy, None, T0)
    # Test data only: the same example figures dated back, for cases under the 2012 rule set.
    older = seed_policy.read_text(encoding="utf-8").replace("2025-01-01", "2012-01-01")
    enter_policy(session, older.replace("2026-01-01", "2019-01-01"), None, T0)
    return world
