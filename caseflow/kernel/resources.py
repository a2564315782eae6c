"""Where the files caseflow runs on are: found through the installed package
(`importlib.resources`), or in a district's own folder named by configuration.

The wheel carries the workflow definitions, rule sets, checklists, demo seed data and calendar
overrides under `caseflow/_data/` (pyproject's package-data); in a source checkout the same names
are symbolic links to the repository's top-level `workflows/` and `seed/` folders, so one lookup
serves both and nothing walks up from a source file. Migrations live in `caseflow.db`, templates
and static files in the web package, the example bank list in `caseflow/config/`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from caseflow.kernel.errors import DefinitionError
from caseflow.kernel.settings import load_settings


def bundled(*parts: str) -> Path:
    """A file or folder shipped inside the `caseflow` package, e.g. bundled("_data", "seed")."""
    return Path(str(files("caseflow").joinpath(*parts)))


def bundled_workflows_dir() -> Path:
    """The workflow definitions shipped with the program."""
    return bundled("_data", "workflows")


def seed_dir() -> Path:
    """The demo seed data, the example policy and the calendar override files."""
    return bundled("_data", "seed")


def _configured_folder(value: str | None, key: str, env: str) -> Path | None:
    if not value:
        return None
    path = Path(value)
    if not path.is_dir():
        where = f"配置项 {key}（{env}）指向的目录不存在：{path}"
        raise DefinitionError(where, f"{where} / {key} ({env}) names no directory: {path}")
    return path


def workflows_dir() -> Path:
    """The workflow definitions in force: `workflows_dir` (CASEFLOW_WORKFLOWS_DIR) when
    configured — a district's own, validated by the same loader — else the shipped ones."""
    own = _configured_folder(
        load_settings().workflows_dir, "workflows_dir", "CASEFLOW_WORKFLOWS_DIR"
    )
    return own or bundled_workflows_dir()


def rulesets_dir(workflows: Path | None = None) -> Path:
    """The rule sets in force: `rulesets_dir` (CASEFLOW_RULESETS_DIR) when configured, else the
    `rulesets/` folder of the workflow definitions."""
    own = _configured_folder(load_settings().rulesets_dir, "rulesets_dir", "CASEFLOW_RULESETS_DIR")
    return own or (workflows or workflows_dir()) / "rulesets"
