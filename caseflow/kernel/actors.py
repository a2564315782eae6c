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


@dataclass(frozen=True)
class Actor:
    """The acting identity; `org_path` bounds its jurisdiction ("/" = everywhere)."""

    user_id: int | None
    username: str
    roles: frozenset[str]
    org_path: str

    @classmethod
    def from_user(cls, user: Account) -> Actor:
        """The actor for a signed-in, active user."""
        return cls(user.id, user.username, user.role_names, user.org_unit.path)

    @property
    def is_system(self) -> bool:
        """True for the timer sweep."""
        return self.user_id is None

    def may_see(self, org_path: str) -> bool:
        """Jurisdiction: the unit is inside the actor's subtree."""
        return org_path.startswith(self.org_path)


SYSTEM_ACTOR = Actor(user_id=None, username="system", roles=frozenset({Role.SYSTEM}), org_path="/")
