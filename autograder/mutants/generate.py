"""Mutants of a reference solution: every operator applied at every site inside a BEGIN/END SOLUTION region.

A mutant is the whole module's source with exactly one node replaced. Its id
(``function:operator:hash``) is derived from the function, the operator and the code before and
after, not from line numbers, so that ``mutants.toml`` entries survive edits elsewhere in the file.
Mutants whose source is the original's, or an earlier mutant's, are dropped.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from autograder.mutants.operators import OPERATORS, Context, Operator

BEGIN = re.compile(r"^\s*#\s*BEGIN SOLUTION\b")
END = re.compile(r"^\s*#\s*END SOLUTION\b")
AUTOGRAD_WORDS = re.compile(r"\b(backward|autograd|requires_grad|grad)\b")


@dataclass(frozen=True)
class Mutant:
    """One mutated version of the reference."""

    id: str
    operator: str
    function: str
    line: int
    description: str
    source: str
    diff: str


def solution_regions(source: str) -> list[tuple[int, int]]:
    """(first, last) line numbers (1-based, inclusive) strictly between each BEGIN and END SOLUTION marker."""
    regions, start = [], None
    for number, line in enumerate(source.splitlines(), 1):
        if BEGIN.match(line):
            start = number
        elif END.match(line) and start is not None:
            regions.append((start + 1, number - 1))
            start = None
    return regions


def _short(code: str, limit: int = 90) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"


class UnreadableSolution(ValueError):
    """The reference solution cannot be read or parsed; the message says which file and why."""


class _ScalarNames(cst.CSTVisitor):
    """Names a function binds to number literals (``total, count = 0.0, 0``)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            pairs = []
            if isinstance(target.target, cst.Name):
                pairs = [(target.target, node.value)]
            elif isinstance(target.target, cst.Tuple) and isinstance(node.value, cst.Tuple):
                pairs = [(t.value, v.value) for t, v in zip(target.target.elements, node.value.elements)]
            for name, value in pairs:
                if isinstance(name, cst.Name) and isinstance(value, (cst.Integer, cst.Float)):
                    self.names.add(name.value)


class _Sites(cst.CSTVisitor):
    """Walks the module and asks every operator about every node inside a solution region."""

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)

    def __init__(self, module: cst.Module, regions: list[tuple[int, int]], operators: list[Operator],
                 uses_autograd: bool) -> None:
        self.module, self.regions, self.operators = module, regions, operators
        self.uses_autograd = uses_autograd
        self.scopes: list[tuple[str, frozenset[str], frozenset[str]]] = []
        self.sites: list[tuple[Operator, cst.CSTNode, object, str | None, str, int]] = []

    def _inside(self, node: cst.CSTNode) -> int | None:
        position = self.get_metadata(PositionProvider, node)
        for first, last in self.regions:
            if first <= position.start.line and position.end.line <= last:
                return position.start.line
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append((node.name.value, frozenset(), frozenset()))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scalars = _ScalarNames()
        node.body.visit(scalars)
        params = frozenset(p.name.value for p in (*node.params.posonly_params, *node.params.params,
                                                  *node.params.kwonly_params))
        self.scopes.append((node.name.value, frozenset(scalars.names), params))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        return False  # the expressions of an f-string make messages: mutating them changes no value

    def on_visit(self, node: cst.CSTNode) -> bool:
        result = super().on_visit(node)
        if not result:
            return False
        wanted = [op for op in self.operators if isinstance(node, op.types)]
        if wanted:
            line = self._inside(node)
            if line is not None:
                function = ".".join(scope[0] for scope in self.scopes) or "<module>"
                scalars, params = self.scopes[-1][1:] if self.scopes else (frozenset(), frozenset())
                ctx = Context(self.module, function, scalars, self.uses_autograd, params,
                              self.get_metadata(ParentNodeProvider, node, None))
                for op in wanted:
                    for replacement, description in op.apply(node, ctx):
                        self.sites.append((op, node, replacement, description, function, line))
        return result


def generate(source: str, operators: list[str] | None = None) -> list[Mutant]:
    """Every mutant of ``source`` (a module with solution markers), in source order."""
    chosen = [OPERATORS[name] for name in (operators or OPERATORS)]
    wrapper = MetadataWrapper(cst.parse_module(source))
    regions = solution_regions(source)
    if not regions:
        return []
    module = wrapper.module
    region_text = "\n".join(line for first, last in regions for line in source.splitlines()[first - 1:last])
    visitor = _Sites(module, regions, chosen, bool(AUTOGRAD_WORDS.search(region_text)))
    wrapper.visit(visitor)
    seen = {source}
    occurrences: dict[tuple, int] = {}
    mutants = []
    original_lines = source.splitlines(keepends=True)
    for op, node, replacement, description, function, line in visitor.sites:
        before = module.code_for_node(node)
        if isinstance(replacement, cst.FlattenSentinel):
            after = "".join(module.code_for_node(n) for n in replacement.nodes)
        else:
            after = module.code_for_node(replacement)
        mutated = module.deep_replace(node, replacement).code
        if mutated in seen:
            continue
        try:
            compile(mutated, "<mutant>", "exec")
        except SyntaxError:
            continue
        seen.add(mutated)
        key = (function, op.name, before, after)
        occurrences[key] = occurrences.get(key, 0) + 1
        digest = hashlib.sha1(repr((*key, occurrences[key])).encode()).hexdigest()[:8]
        diff = "".join(difflib.unified_diff(original_lines, mutated.splitlines(keepends=True), "reference",
                                            "mutant", n=1))
        description = description or f"`{_short(before)}` → `{_short(after)}`"
        mutants.append(Mutant(f"{function}:{op.name}:{digest}", op.name, function, line, description, mutated,
                              diff))
    return mutants


def generate_file(path: str | Path, operators: list[str] | None = None) -> list[Mutant]:
    """Every mutant of the solution file at ``path``; UnreadableSolution when it cannot be read or parsed."""
    try:
        source = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableSolution(f"cannot read the reference solution {path}: {exc}") from None
    try:
        return generate(source, operators)
    except cst.ParserSyntaxError as exc:
        raise UnreadableSolution(f"the reference solution {path} does not parse (line {exc.raw_line}): "
                                 f"{exc.message}") from None
