"""Who is acting: a user's id, roles and org-unit path, or the system actor of the timer sweep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from caseflow.kernel.roles import Role


class _Unit(Protocol):
    @property
    def path(self) -> str: ...


class Account(Protocol):
    """What an actor is made from: a staff account (caseflow.db.models.User) as the kernel sees
    it, so the kernel needs no import of the database layer above it."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role_names(self) -> frozenset[str]: ...
    @property
    def org_unit(self) -> _Unit: ...
    @property
    def institution_id(self) -> int | None: ...


def institution_path(township_path: str, institution_id: int) -> str:
    """The org path of an institution's staff: below its township, where no household, case or
    unit lies — so every jurisdiction test by path (caseflow.db.scope) finds nothing for them,
    and what they may read is granted by institution, query by query (deny by default)."""
    return f"{township_path}institution-{institution_id}/"


def account_reach(
    roles: frozenset[str], org_path: str, institution_id: int | None
) -> tuple[frozenset[str], str]:
    """The roles and org path an account acts with. The institution's role goes with a bound
    institution and nothing else (caseflow.accounts.staff writes it so); should a row say
    otherwise, the institution's staff keep only that role, and the role is dropped from an
    account bound to no institution — a hand-edited row never widens anyone's reach."""
    staff = Role.INSTITUTION_STAFF.value
    if institution_id is None:
        return roles - {staff}, org_path
    return roles & {staff}, institution_path(org_path, institution_id)


@dataclass(frozen=True)
class Actor:
    """The acting identity; `org_path` bounds its jurisdiction ("/" = everywhere)."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    org_path: str
    # The institution whose staff this is (Role.INSTITUTION_STAFF), else None.
    institution_id: int | None = None

    @classmethod
    def from_user(cls, user: Account) -> Actor:
        """The actor for a signed-in, active user."""
        inst = user.institution_id
        roles, path = account_reach(user.role_names, user.org_unit.path, inst)
        return cls(user.id, user.username, roles, path, inst)

    @property
    def is_system(self) -> bool:
        """True for the timer sweep."""
        return self.user_id is None

    def may_see(self, org_path: str) -> bool:
        """Jurisdiction: the unit is inside the actor's subtree."""
        return org_path.startswith(self.org_path)


SYSTEM_ACTOR = Actor(user_id=None, username="system", roles=frozenset({Role.SYSTEM}), org_path="/")
