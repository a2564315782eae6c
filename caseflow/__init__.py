"""caseflow: case management with explicit state machines for rural social assistance.

The public face: `boot` (plug everything together), `fire` (the one path for every state change),
`open_case`, `available_transitions`, and the typed errors. They are loaded on first use, so
importing a low layer (`caseflow.kernel.money`, say) does not pull in the engine.
"""

from __future__ import annotations

from importlib import import_module
from importlib.resources import files
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# The data the program ships with, found through the installed package (see
# caseflow.kernel.resources; a configured CASEFLOW_WORKFLOWS_DIR is resolved there, not here).
WORKFLOWS_DIR = Path(str(files(__name__) / "_data" / "workflows"))
SEED_DIR = Path(str(files(__name__) / "_data" / "seed"))

_PUBLIC = {
    "boot": "caseflow.bootstrap",
    "fire": "caseflow.engine.fire",
    "open_case": "caseflow.engine.fire",
    "available_transitions": "caseflow.engine.fire",
    "FireResult": "caseflow.engine.plugins",
    "UnitOfWork": "caseflow.engine.uow",
    "CaseflowError": "caseflow.kernel.errors",
    "CaseNotFound": "caseflow.kernel.errors",
    "ConcurrencyConflict": "caseflow.kernel.errors",
    "GuardFailed": "caseflow.kernel.errors",
    "PayloadInvalid": "caseflow.kernel.errors",
    "PermissionDenied": "caseflow.kernel.errors",
    "TransitionNotAllowed": "caseflow.kernel.errors",
}
__all__ = ["SEED_DIR", "WORKFLOWS_DIR", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'caseflow' has no attribute {name!r}")
