"""Roles a user may hold, with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Every role known to the system; workflows may name only these."""

    CLERK = "clerk"
    INVESTIGATOR = "investigator"
    TOWNSHIP_REVIEWER = "township_reviewer"
    TOWNSHIP_LEADER = "township_leader"
    POVERTY_LIAISON = "poverty_liaison"
    DISTRICT_APPROVER = "district_approver"
    DISTRICT_FINANCE = "district_finance"
    SUPERVISOR = "supervisor"
    # Staff of one 敬老院 / 供养服务机构 (users.institution_id, migration 0027): confirm beds for
    # admissions to their institution and read its occupancy; nothing of any household.
    INSTITUTION_STAFF = "institution_staff"
    ADMIN = "admin"
    SYSTEM = "system"

    @property
    def label_zh(self) -> str:
        """Chinese label shown in the UI."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: "一门受理窗口",
    Role.INVESTIGATOR: "调查员",
    Role.TOWNSHIP_REVIEWER: "乡镇审核",
    Role.TOWNSHIP_LEADER: "乡镇领导",
    Role.POVERTY_LIAISON: "扶贫工作站",
    Role.DISTRICT_APPROVER: "区民政审批",
    Role.DISTRICT_FINANCE: "区发放",
    Role.SUPERVISOR: "督查",
    Role.INSTITUTION_STAFF: "供养机构工作人员",
    Role.ADMIN: "系统管理员",
    Role.SYSTEM: "系统（定时器）",
}

ROLE_NAMES: frozenset[str] = frozenset(r.value for r in Role)

# Roles whose work needs full ID numbers and bank accounts (masked for everyone else).
PERSONAL_DATA_ROLES: frozenset[Role] = frozenset(
    {Role.CLERK, Role.INVESTIGATOR, Role.DISTRICT_FINANCE, Role.DISTRICT_APPROVER}
)

# Roles that work on cases and so read applicants' names; the admin manages accounts only and
# sees no personal data (names in the audit trail are masked for it, as ID numbers are). An
# institution's staff see their own residents and admissions only, on pages of their own.
CASEWORK_ROLES: frozenset[str] = ROLE_NAMES - {
    Role.ADMIN.value,
    Role.SYSTEM.value,
    Role.INSTITUTION_STAFF.value,
}
