"""The tree keeps the shape of ../shared/ARCHITECTURE.md: imports never climb, the core never
imports the web package, and writes commit only through the unit of work."""

from __future__ import annotations

import re

from layers import ROOT, climbing_imports, imports_of, product_files


def test_no_import_climbs_from_a_lower_layer_to_a_higher_one() -> None:
    climbing = [f"{i.source}:{i.line} → {i.target}" for i in climbing_imports()]
    assert climbing == []


def test_no_module_of_the_core_imports_the_web_package() -> None:
    offenders = [
        f"{imp.source}:{imp.line} → {imp.target}"
        for path in product_files()
        if path.is_relative_to(ROOT / "caseflow")
        for imp in imports_of(path)
        if imp.target == "web" or imp.target.startswith(("web.", "flask"))
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
