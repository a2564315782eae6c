"""Shared names of the browser tests (a unique module name: every test folder has a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import caseflow

ARTIFACTS = Path(caseflow.__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "e2e-pass-2026"


@dataclass
class Server:
    url: str
    world: Any
