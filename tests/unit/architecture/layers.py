"""The layers of ../shared/ARCHITECTURE.md, bottom to top, and a reader of the tree's imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Bottom to top; packages on one line share a layer and may not import each other's layer-mates
# only where noted in ALLOWED_SIDEWAYS. An import never climbs.
LAYERS: list[set[str]] = [
    {"caseflow.kernel"},
    {"caseflow.db"},
    {"caseflow.workflow", "caseflow.clock"},
    {"caseflow.engine"},
    {"caseflow.casework", "caseflow.policy"},
    {
        "caseflow.payments",
        "caseflow.ledger",
        "caseflow.reviews",
        "caseflow.campaigns",
        "caseflow.accounts",
        "caseflow.inbox",
        "caseflow.institutions",
    },
    {"caseflow.read"},
    {"caseflow.oversight"},  # the district's supervision reads who is in payment (read)
    {"caseflow.timer", "caseflow.cli", "caseflow.seed", "caseflow.bootstrap"},
    {"caseflow_web"},
]


def layer_of(module: str) -> int | None:
    """The layer index of a module of the product, None for anything else."""
    for index, packages in enumerate(LAYERS):
        for package in packages:
            if module == package or module.startswith(package + "."):
                return index
    return None


def package_of(module: str) -> str | None:
    for packages in LAYERS:
        for package in packages:
            if module == package or module.startswith(package + "."):
                return package
    return None


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module
    line: int
    type_only: bool


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_files() -> Iterator[Path]:
    for folder in ("caseflow", "caseflow_web"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imports_of(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    source = module_name(path)
    type_only_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in ast.walk(node):
                if hasattr(inner, "lineno"):
                    type_only_lines.add(inner.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                target = full if _is_module(full) else node.module
                yield Import(source, target, node.lineno, node.lineno in type_only_lines)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(source, alias.name, node.lineno, node.lineno in type_only_lines)


@dataclass(frozen=True)
class ImportedName:
    source: str  # importing module
    module: str  # the module named after `from`
    name: str  # the name taken from it ("" for `import module`)
    line: int


def names_imported(path: Path) -> Iterator[ImportedName]:
    """Every `from module import name` and `import module` of a file, type-only ones included."""
    source = module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                yield ImportedName(source, node.module, alias.name, node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportedName(source, alias.name, "", node.lineno)


def _is_module(dotted: str) -> bool:
    base = ROOT / Path(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def climbing_imports() -> list[Import]:
    """Imports from a lower layer to a higher one (type-only imports included)."""
    found = []
    for path in product_files():
        for imp in imports_of(path):
            low, high = layer_of(imp.source), layer_of(imp.target)
            if low is not None and high is not None and high > low:
                found.append(imp)
    return found


def module_cycles(include_type_only: bool = True) -> list[list[str]]:
    """Groups of product modules that import each other in a loop (strongly connected)."""
    graph: dict[str, set[str]] = {}
    for path in product_files():
        source = module_name(path)
        graph.setdefault(source, set())
        for imp in imports_of(path):
            if (include_type_only or not imp.type_only) and layer_of(imp.target) is not None:
                graph[source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


if __name__ == "__main__":  # python tests/unit/architecture/layers.py: the figures of the README
    files = list(product_files())
    packages = {package_of(module_name(p)) for p in files} - {None}
    print(f"product modules: {len(files)} in {len(packages)} packages on {len(LAYERS)} layers")
    print(f"imports that climb a layer: {len(climbing_imports())}")
    print(f"import cycles between modules: {len(module_cycles())}")
