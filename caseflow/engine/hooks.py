"""Work that follows a committed transition, each piece in transactions of its own.

fire() runs these after its commit, with the same session (then without pending changes); a
package declares its hooks on its plugin (caseflow.engine.plugins). A hook
that changes a case does it through fire() like everything else; it must never undo or block the
transition that triggered it, so fire() logs a hook's failure and goes on. Hooks live in this
small module (not in engine) so that modules the engine itself imports, such as the roll's hooks,
can register one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caseflow.engine.fire import FireResult

AfterCommit = Callable[["Session", "FireResult"], None]
