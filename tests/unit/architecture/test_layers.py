"""The tree keeps the shape of ../shared/ARCHITECTURE.md: imports never climb, the core never
imports the web package, writes commit only through the unit of work, and views are thin (no
models, no queries in caseflow_web/)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from layers import ROOT, climbing_imports, imports_of, names_imported, product_files

from caseflow.db.models import Base


def test_no_import_climbs_from_a_lower_layer_to_a_higher_one() -> None:
    climbing = [f"{i.source}:{i.line} → {i.target}" for i in climbing_imports()]
    assert climbing == []


def test_no_module_of_the_core_imports_the_web_package() -> None:
    offenders = [
        f"{imp.source}:{imp.line} → {imp.target}"
        for path in product_files()
        if path.is_relative_to(ROOT / "caseflow")
        for imp in imports_of(path)
        if imp.target == "caseflow_web" or imp.target.startswith(("caseflow_web.", "flask"))
    ]
    assert offenders == []


def test_the_workflow_registry_imports_no_domain_package() -> None:
    path = ROOT / "caseflow" / "workflow" / "registry.py"
    targets = {imp.target for imp in imports_of(path) if imp.target.startswith("caseflow.")}
    assert all(t.startswith(("caseflow.workflow", "caseflow.kernel")) for t in targets), targets


def test_commits_happen_only_in_the_unit_of_work() -> None:
    commit = re.compile(r"\.commit\(\)")
    offenders = []
    for path in product_files():
        if path == ROOT / "caseflow" / "engine" / "uow.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if commit.search(line) and "uow.commit()" not in line and "unit.commit()" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


# What a view may hand the core: the request's session (caseflow_web/db.py opens and closes it).
WEB_SQLALCHEMY = {("sqlalchemy.orm", "Session")}
# Session methods that read, write or end a transaction: the core's job, never a view's.
SESSION_METHODS = frozenset(
    {
        "add",
        "add_all",
        "commit",
        "delete",
        "execute",
        "flush",
        "get",
        "get_one",
        "merge",
        "query",
        "refresh",
        "rollback",
        "scalar",
        "scalars",
    }
)


def _web_files() -> list[Path]:
    return [path for path in product_files() if path.is_relative_to(ROOT / "caseflow_web")]


def _is_mapped_class(module: str, name: str) -> bool:
    value = getattr(importlib.import_module(module), name, None)
    return isinstance(value, type) and issubclass(value, Base)


def _on_a_session(node: ast.expr) -> bool:
    """`session.…`, `s.…` or `db.session().…`: the receiver is a database session."""
    if isinstance(node, ast.Name):
        return node.id in {"s", "session"}
    call = node.func if isinstance(node, ast.Call) else None
    return isinstance(call, ast.Attribute) and call.attr == "session"


def _session_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (
                node.func.attr in {"commit", "rollback"}
                or (node.func.attr in SESSION_METHODS and _on_a_session(node.func.value))
            )
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node.func)}()")
    return found


def _why_not_in_web(module: str, name: str) -> str | None:
    """Why a view may not import `name` from `module`, or None."""
    if module == "caseflow.db.models" or (module, name) == ("caseflow.db", "models"):
        return "the ORM models"
    if module.split(".")[0] == "sqlalchemy" and (module, name) not in WEB_SQLALCHEMY:
        return "a query builder"
    if name and module.startswith("caseflow.") and _is_mapped_class(module, name):
        return "an ORM model"
    return None


def test_web_modules_import_no_orm_models_and_build_no_queries() -> None:
    """A view parses the request, makes a core call and renders: the queries live in the core."""
    offenders = []
    for path in _web_files():
        for imp in names_imported(path):
            why = _why_not_in_web(imp.module, imp.name)
            if why:
                offenders.append(f"{imp.source}:{imp.line} → {imp.module}.{imp.name} ({why})")
        offenders.extend(_session_calls(path))
    assert offenders == []
