"""The package's layers and the checks that its imports respect them (run by tests/test_layout.py and `doctor`).

A module may import modules of its own layer or of layers below it, never above; nothing in the
engine imports ``release`` (the release tool registers its verbs instead); there is no import
cycle; and the sandbox runtime imports only the standard library, torch, numpy and the bottom
layer, since it is what is mounted next to student code. Imports are read from the source (every
``import`` statement, also inside functions), so nothing is imported to check them.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# top to bottom: each entry's modules (a package stands for everything in it)
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("command line", ("autograder.__main__", "autograder.cli", "autograder.commands")),
    ("class work", ("autograder.batch", "autograder.gradebook", "autograder.reports", "autograder.mutants",
                    "autograder.lms_formats", "autograder.channels")),
    ("grading", ("autograder.grading",)),
    ("graders' API", ("autograder.proxy", "autograder.checks", "autograder.strategies", "autograder.datasets",
                      "autograder.loopcheck", "autograder.loops", "autograder.diagrams", "autograder.graders")),
    ("host sandbox", ("autograder.sandbox",)),
    ("course", ("autograder.course", "autograder.assignment", "autograder.submission", "autograder.late",
                "autograder.similarity", "autograder.stubs", "autograder.layout")),
    ("runtime", ("autograder.runtime",)),
    ("bottom", ("autograder.wire", "autograder.protocol", "autograder.limits", "autograder.faults",
                "autograder.scoring", "autograder.exitcodes", "autograder")),
)
BOTTOM = LAYERS[-1][1]
# what the runtime may import: the bottom layer, itself, the standard library, and the compute it serves
RUNTIME_ALLOWED = ("torch", "numpy", "autograder.runtime") + tuple(m for m in BOTTOM if m != "autograder")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the engine (graders' folders included), by dotted name."""
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py")) if "__pycache__" not in p.parts}


def imports(path: Path) -> set[str]:
    """Dotted names ``path`` imports, anywhere in the file (``from a.b import c`` counts as a.b and a.b.c)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue  # for annotations only: no import at run time
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def layer_of(name: str) -> int | None:
    """Index in LAYERS (0 is the top) of the longest prefix of ``name`` listed there."""
    best, index = -1, None
    for i, (_, members) in enumerate(LAYERS):
        for member in members:
            if (name == member or name.startswith(member + ".")) and len(member) > best:
                best, index = len(member), i
    return index


def graph() -> dict[str, set[str]]:
    """Engine module -> the engine modules it imports (only names that are modules: ``a.b.c`` of a function
    ``c`` counts as ``a.b``)."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = set()
        for imported in imports(path):
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        edges[name] = targets
    return edges


def _is_package(name: str, known: dict[str, Path]) -> bool:
    return name in known and known[name].name == "__init__.py"


def upward_arrows() -> list[str]:
    """Imports from a layer to one above it, and imports of ``release``."""
    known = modules()
    problems = []
    for name, path in known.items():
        if any(i == "release" or i.startswith("release.") for i in imports(path)):
            problems.append(f"{name} imports release (the engine never does: release registers its verbs)")
    for name, targets in graph().items():
        here = layer_of(name)
        for target in sorted(targets):
            there = layer_of(target)
            if here is None or there is None:
                problems.append(f"{name if here is None else target} is in no layer (autograder/layout.py)")
            elif there < here and not (_is_package(target, known) and name.startswith(target + ".")):
                problems.append(f"{name} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]}), a layer above")
    return sorted(set(problems))


def cycles() -> list[list[str]]:
    """Import cycles (strongly connected components of more than one module), a package's __init__ excepted
    when it only re-exports its own submodules."""
    edges = graph()
    known = modules()
    for name in edges:  # a package importing its own submodules is how it re-exports them, not a cycle
        if _is_package(name, known):
            edges[name] = {t for t in edges[name] if not t.startswith(name + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def runtime_violations() -> list[str]:
    """Imports inside autograder/runtime/ outside the standard library, torch, numpy and the bottom layer."""
    problems = []
    stdlib = sys.stdlib_module_names
    for name, path in modules().items():
        if not (name == "autograder.runtime" or name.startswith("autograder.runtime.")):
            continue
        for imported in sorted(imports(path)):
            top = imported.partition(".")[0]
            if top in stdlib or top == "__future__" or imported == "autograder":
                continue
            if not any(imported == a or imported.startswith(a + ".") for a in RUNTIME_ALLOWED):
                problems.append(f"{name} imports {imported}")
    return problems
