"""caseflow: case management with explicit state machines for rural social assistance."""

from pathlib import Path

__version__ = "0.1.0"

# Data folders live beside the package in the repository (installed editable, as the README says).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = PROJECT_ROOT / "workflows"
SEED_DIR = PROJECT_ROOT / "seed"
