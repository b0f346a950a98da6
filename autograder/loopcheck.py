"""Is a graded function free of Python loops? A static reading of its syntax tree, and a runtime trace.

The static half runs in the trusted grader on the submission's *source text* (never by
importing it): it finds ``def name`` in the file or notebook cells and reports every
``for``/``while``/comprehension, every ``map``/``filter``/``reduce``/``Tensor.apply_``, and
every reference to a banned API (``torch.broadcast_shapes`` …) inside it and inside the
module-level helpers it calls, resolving ``import numpy as np``-style aliases.

The runtime half, :func:`trace_calls`, is shipped to the worker with ``student.trusted`` and
records the torch calls one student call makes (a ``TorchFunctionMode``), and optionally any
torch/numpy function it reaches (``sys.setprofile``). A loop shows up as a call count that
grows with the input. Its answer comes from the worker, so it is a second signal only: the
static check, which student code cannot influence, flags code that touches the instruments.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

LOOP_NODES: dict[type, str] = {
    ast.For: "a for loop",
    ast.AsyncFor: "an async for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
# calls that run a Python function once per element, i.e. a loop in disguise
LOOP_CALLS = {
    "map": "map(), a loop in disguise",
    "filter": "filter(), a loop in disguise",
    "reduce": "reduce(), a loop in disguise",
    "apply_": "Tensor.apply_(), which calls Python once per element",
    "map_": "Tensor.map_(), which calls Python once per element",
    "map2_": "Tensor.map2_(), which calls Python once per element",
    "vectorize": "numpy.vectorize(), a Python loop in disguise",
}
# names that only make sense to defeat the grader's instruments, or that hide code from this reading
TAMPERING = {
    "eval": "eval(), which hides code from the loop check",
    "exec": "exec(), which hides code from the loop check",
    "compile": "compile(), which hides code from the loop check",
    "__import__": "__import__(), which hides code from the loop check",
    "importlib": "importlib, which hides code from the loop check",
    "setprofile": "sys.setprofile, which tampers with the grader",
    "settrace": "sys.settrace, which tampers with the grader",
    "DisableTorchFunction": "DisableTorchFunction, which tampers with the grader",
    "DisableTorchFunctionSubclass": "DisableTorchFunctionSubclass, which tampers with the grader",
    "_pop_mode": "torch function mode internals, which tamper with the grader",
    "_push_mode": "torch function mode internals, which tamper with the grader",
    # ways to rebind a function behind the reading's back (the def it reads would not be what runs)
    "globals": "globals(), which can rebind functions behind the loop check's back",
    "setattr": "setattr(), which can rebind functions behind the loop check's back",
    "delattr": "delattr(), which can rebind functions behind the loop check's back",
    "__code__": "__code__, which swaps a function's body behind the loop check's back",
    "__globals__": "__globals__, which can rebind functions behind the loop check's back",
    "__dict__": "__dict__, which can rebind functions behind the loop check's back",
    "__setattr__": "__setattr__, which can rebind functions behind the loop check's back",
    "__builtins__": "__builtins__, which can rebind functions behind the loop check's back",
}


class FunctionNotFound(LookupError):
    """The submission has no plain ``def`` of the graded function."""


@dataclass(frozen=True)
class Finding:
    """One thing the static check objects to, with where it is."""

    function: str
    line: int
    what: str
    label: str = ""

    def __str__(self) -> str:
        where = f"{self.label} line {self.line}" if self.label else f"line {self.line}"
        inside = "outside any function" if self.function == "<module>" else f"in `{self.function}`"
        return f"{self.what} ({where}, {inside})"


@dataclass(frozen=True)
class Definition:
    """A function definition found in the submission and the cell it came from."""

    node: ast.AST
    label: str


@dataclass(frozen=True)
class Binding:
    """One way a module-level name gets its value: ``def``, a lambda, a class, an assignment, an import..."""

    kind: str  # def | lambda | class | an assignment | an import | ...
    node: ast.AST  # what to read: the def, the lambda, the class, or the assigned value
    label: str
    line: int
    straight: bool  # a statement of the module (or cell) itself, not inside an if/try/for/with/match


class Rebound(FunctionNotFound):
    """The graded name is bound some other way than by its ``def``: the def read may not be what runs."""


# statements whose bodies run, or may run, at module level: definitions in them are module-level names
COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar, ast.Match,
            ast.ExceptHandler, ast.match_case)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _target_names(target: ast.AST) -> list[str]:
    """The names an assignment target binds: ``a, (b, *c)`` binds a, b, c; ``a.x`` and ``a[0]`` bind nothing."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


class SourceIndex:
    """Every cell of a submission parsed once: its module-level bindings and its import aliases.

    A name may be bound many ways, and what runs is whatever bound it last at run time. So the
    reading is strict: a graded function must be bound only by ``def`` (or a lambda); when it is
    bound only by straight-line statements the last one counts (a notebook's later cell wins),
    when a definition sits in an ``if``/``try``/loop branch every definition counts, and any other
    binding (an assignment, an import, a ``global`` in a function, ``globals()``) is refused.
    """

    def __init__(self, cells: Iterable[tuple[str, str]]) -> None:
        self.bindings: dict[str, list[Binding]] = {}
        self.aliases: dict[str, str] = {}
        self.unreadable: list[str] = []
        self.modules: list[Definition] = []  # each cell's whole tree, for what may not appear anywhere
        for source, label in cells:
            try:
                tree = ast.parse(source, filename=label)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                self.unreadable.append(label)
                continue
            self.modules.append(Definition(tree, label))
            for node in tree.body:  # in order: later bindings win, as they do when the cells run
                self._record(node, label, straight=True)
            for function in ast.walk(tree):  # `global f` in a function rebinds f when that function runs
                if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for node in ast.walk(function):
                        if isinstance(node, ast.Global):
                            for name in node.names:  # what is read for f: the whole function that rebinds it
                                self._bind(name, "a `global` statement in a function", function, label, False)

    def _bind(self, name: str, kind: str, node: ast.AST, label: str, straight: bool) -> None:
        self.bindings.setdefault(name, []).append(Binding(kind, node, label, _line(node), straight))

    def _record(self, node: ast.AST, label: str, straight: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._bind(node.name, "def", node, label, straight)
        elif isinstance(node, ast.ClassDef):
            self._bind(node.name, "class", node, label, straight)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is None:
                return  # `f: Callable` binds nothing
            simple = isinstance(node, ast.Assign) and len(targets) == 1 and isinstance(targets[0], ast.Name)
            for target in targets:
                for name in _target_names(target):
                    lambda_def = simple and isinstance(node.value, ast.Lambda)
                    self._bind(name, "lambda" if lambda_def else "an assignment", node.value, label, straight)
            self._walrus(node.value, label)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound = import_aliases(node)
            self.aliases.update(bound)
            for name in bound:
                self._bind(name, "an import", node, label, straight)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                for name in _target_names(target):
                    self._bind(name, "a `del`", node, label, straight)
        elif isinstance(node, COMPOUND):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                for name in _target_names(node.target):
                    self._bind(name, "a for loop's variable", node, label, False)
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    for name in _target_names(item.optional_vars) if item.optional_vars else []:
                        self._bind(name, "a `with ... as`", item.context_expr, label, False)
            if isinstance(node, ast.ExceptHandler) and node.name:
                self._bind(node.name, "an `except ... as`", node, label, False)
            if isinstance(node, ast.match_case):
                for capture in ast.walk(node.pattern):
                    name = getattr(capture, "name", None)
                    if isinstance(name, str):
                        self._bind(name, "a `case` pattern", capture, label, False)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.stmt, ast.ExceptHandler, ast.match_case)):
                    self._record(child, label, straight=False)
                elif isinstance(child, ast.expr):
                    self._walrus(child, label)
        elif isinstance(node, ast.Expr):
            self._walrus(node.value, label)

    def _walrus(self, expression: ast.AST, label: str) -> None:
        """``(f := g)`` at module level binds f too (a lambda's or a comprehension's insides are not reached)."""
        todo = [expression]
        while todo:
            current = todo.pop()
            if isinstance(current, ast.NamedExpr) and isinstance(current.target, ast.Name):
                self._bind(current.target.id, "an assignment expression (:=)", current.value, label, False)
            if not isinstance(current, SCOPES):
                todo.extend(ast.iter_child_nodes(current))

    def tampering(self) -> list[Finding]:
        """Code anywhere in the file that hides code from this reading (``exec`` of a loop) or defeats the trace."""
        return [Finding("<module>", f.line, f.what, f.label)
                for module in self.modules for f in _tampering("<module>", module, self.aliases)]

    def _definitions(self, name: str) -> list[Binding]:
        """The bindings of ``name`` that may be what runs (see the class docstring)."""
        bindings = self.bindings.get(name, [])
        if bindings and all(b.straight for b in bindings):
            return bindings[-1:]
        return bindings

    @property
    def definitions(self) -> dict[str, Definition]:
        """The definition of each name read for a graded function (kept for callers of the old index)."""
        return {name: Definition(b[-1].node, b[-1].label) for name in self.bindings
                if (b := [x for x in self._definitions(name) if x.kind in ("def", "lambda", "class")])}

    def function(self, name: str) -> Definition:
        """The graded function's definition; FunctionNotFound (Rebound) when it is not read from a plain def."""
        bindings = self.bindings.get(name, [])
        defs = [b for b in bindings if b.kind in ("def", "lambda")]
        if not defs:
            raise FunctionNotFound(f"there is no `def {name}(...)` in your file; the grader reads the source "
                                   "of each function to check it has no loops, so define it with a plain def")
        others = [b for b in bindings if b.kind not in ("def", "lambda")]
        if others:
            other = others[0]
            where = f"{other.label} line {other.line}" if other.label else f"line {other.line}"
            raise Rebound(f"`{name}` is defined with def but also bound by {other.kind} ({where}), so the def the "
                          "grader reads may not be what runs; define it once with a plain def and do not rebind it")
        return Definition(defs[-1].node, defs[-1].label)

    def own(self, name: str) -> list[tuple[str, Definition]]:
        """The definitions of ``name`` that may run, without the helpers they call."""
        return [(name, Definition(b.node, b.label)) for b in self._definitions(name)]

    def reachable(self, name: str) -> list[tuple[str, Definition]]:
        """Everything that may run for ``name``: its definitions and the module-level names they use, transitively.

        A helper is read whatever binds it: a def, a class (all its methods), or the expression
        assigned to it (``helper = Looper().run`` reads ``Looper``).
        """
        order, seen, todo = [], set(), [name]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.bindings:
                continue
            seen.add(current)
            for binding in self._definitions(current):
                if binding.kind == "an import":
                    continue  # a library (the submission is one file): its aliases are resolved, not read
                definition = Definition(binding.node, binding.label)
                order.append((current, definition))
                todo += [n.id for n in ast.walk(binding.node) if isinstance(n, ast.Name) and n.id in self.bindings]
        return order


def import_aliases(node: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """Local name → dotted name bound by one import statement."""
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".")[0]): (a.name if a.asname else a.name.split(".")[0]) for a in node.names}
    base = node.module or ""
    return {(a.asname or a.name): f"{base}.{a.name}" if base else a.name for a in node.names if a.name != "*"}


def dotted_name(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """``np.broadcast_shapes`` → ``numpy.broadcast_shapes`` (through aliases); None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _line(node: ast.AST) -> int:
    return getattr(node, "lineno", 0)


def _local_aliases(node: ast.AST, aliases: dict[str, str]) -> dict[str, str]:
    local = dict(aliases)
    for child in ast.walk(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            local.update(import_aliases(child))
    return local


def find_loops(cells: Iterable[tuple[str, str]], name: str, *, follow_helpers: bool = True) -> list[Finding]:
    """Loops, comprehensions, loop-like calls and tampering in ``name`` (and the helpers it calls)."""
    index = cells if isinstance(cells, SourceIndex) else SourceIndex(cells)
    index.function(name)
    targets = index.reachable(name) if follow_helpers else index.own(name)
    findings = []
    for function, definition in targets:
        aliases = _local_aliases(definition.node, index.aliases)
        for node in ast.walk(definition.node):
            kind = LOOP_NODES.get(type(node))
            if kind:
                findings.append(Finding(function, _line(node), kind, definition.label))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for decorator in node.decorator_list:  # `@np.vectorize` runs the function once per element
                    called = dotted_name(decorator, aliases) or ""
                    if called.rsplit(".", 1)[-1] in LOOP_CALLS:
                        findings.append(Finding(function, _line(decorator), LOOP_CALLS[called.rsplit(".", 1)[-1]],
                                                definition.label))
            if isinstance(node, ast.Call):
                called = dotted_name(node.func, aliases) or ""
                last = called.rsplit(".", 1)[-1]
                if last in LOOP_CALLS:
                    findings.append(Finding(function, _line(node), LOOP_CALLS[last], definition.label))
                elif isinstance(node.func, ast.Name) and node.func.id == function:
                    findings.append(Finding(function, _line(node), "recursion, a loop in disguise", definition.label))
        findings += _tampering(function, definition, aliases)
    return _unique(findings + index.tampering())


def _unique(findings: list[Finding]) -> list[Finding]:
    """One finding per place: a name inside a function is also inside its module."""
    seen, kept = set(), []
    for finding in sorted(set(findings), key=lambda f: (f.label, f.line, f.what, f.function == "<module>")):
        if (finding.label, finding.line, finding.what) not in seen:
            seen.add((finding.label, finding.line, finding.what))
            kept.append(finding)
    return kept


def _tampering(function: str, definition: Definition, aliases: dict[str, str]) -> list[Finding]:
    found = []
    for node in ast.walk(definition.node):
        names = []
        if isinstance(node, ast.Name):
            names = [aliases.get(node.id, node.id)]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
            if node.attr == "modules" and dotted_name(node.value, aliases) == "sys":
                found.append(Finding(function, _line(node), "sys.modules, which can rebind functions behind the "
                                     "loop check's back", definition.label))
        for dotted in names:
            for part in dotted.split("."):
                if part in TAMPERING:
                    found.append(Finding(function, _line(node), TAMPERING[part], definition.label))
    return found


def find_references(cells: Iterable[tuple[str, str]], name: str, banned: Iterable[str],
                    *, follow_helpers: bool = True) -> list[Finding]:
    """References to banned dotted names or modules (``torch``, ``numpy.broadcast_shapes``) in ``name``.

    A banned entry matches the name itself and anything under it (``torch`` bans ``torch.empty``);
    an entry starting with ``.`` bans an attribute of that name on any object (``.expand``).
    """
    index = cells if isinstance(cells, SourceIndex) else SourceIndex(cells)
    index.function(name)
    banned = tuple(banned)
    modules = tuple(b for b in banned if not b.startswith("."))
    attributes = {b[1:] for b in banned if b.startswith(".")}
    targets = index.reachable(name) if follow_helpers else index.own(name)
    findings = []
    for function, definition in targets:
        aliases = _local_aliases(definition.node, index.aliases)
        for node in ast.walk(definition.node):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for bound in import_aliases(node).values():
                    if _matches(bound, modules):
                        findings.append(Finding(function, _line(node), f"an import of {bound}", definition.label))
                continue
            if isinstance(node, ast.Attribute) and node.attr in attributes:
                findings.append(Finding(function, _line(node), f"`.{node.attr}`", definition.label))
                continue
            if isinstance(node, ast.Name):
                dotted = aliases.get(node.id, node.id)
                if node.id in aliases and _matches(dotted, modules):
                    findings.append(Finding(function, _line(node), f"`{node.id}` ({dotted})", definition.label))
        findings += _tampering(function, definition, aliases)
    return _unique(findings + index.tampering())


def _matches(dotted: str, modules: tuple[str, ...]) -> bool:
    return any(dotted == m or dotted.startswith(m + ".") for m in modules)


def describe(findings: list[Finding], limit: int = 3) -> str:
    """One sentence listing what was found."""
    shown = "; ".join(str(f) for f in findings[:limit])
    more = f"; and {len(findings) - limit} more" if len(findings) > limit else ""
    return shown + more


# ---------------------------------------------------------------- runtime (shipped to the worker)


def trace_calls(module_name, function_name, calls, watch_libraries=False):
    """Run the student's function on each argument tuple, recording torch calls (runs in the worker).

    Self-contained on purpose: ``student.trusted`` ships only this function's source text.
    Returns, per call, ``{"count", "names", "libraries", "error"}``.
    """
    import sys

    from torch.overrides import TorchFunctionMode

    class Recorder(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.names = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.names.append(str(getattr(func, "__name__", type(func).__name__)))
            return func(*args, **(kwargs or {}))

    def library_of(frame, event, arg):
        if event == "call":
            module = str(frame.f_globals.get("__name__", ""))
            return f"{module}.{frame.f_code.co_name}" if module.split(".")[0] in ("torch", "numpy") else None
        if event == "c_call":
            owner = getattr(arg, "__self__", None)
            module = getattr(arg, "__module__", None) or type(owner).__module__
            return f"{module}.{getattr(arg, '__name__', '?')}" if str(module).split(".")[0] in ("torch", "numpy") \
                else None
        return None

    function = getattr(sys.modules[module_name], function_name)
    report = []
    for args in calls:
        recorder, libraries, error = Recorder(), [], None

        def profile(frame, event, arg, libraries=libraries):
            found = library_of(frame, event, arg)
            if found and len(libraries) < 50:
                libraries.append(found)

        try:
            with recorder:
                if watch_libraries:
                    sys.setprofile(profile)
                try:
                    function(*args)
                finally:
                    if watch_libraries:
                        sys.setprofile(None)
        except Exception as exc:  # noqa: BLE001 - reported to the grader, which decides
            error = f"{type(exc).__name__}: {exc}"[:500]
        libraries = [name for name in libraries if not name.endswith(".setprofile")]
        report.append({"count": len(recorder.names), "names": recorder.names[:100],
                       "libraries": sorted(set(libraries)), "error": error})
    return report


# ---------------------------------------------------------------- grader-side checks (trusted process)


def _submission(student):
    return student.session.submission


def expect_implemented(student, name: str, args: tuple) -> None:
    """Loop-freedom points go to implemented functions: not raising NotImplementedError, not returning None.

    A function that raises some other error on ``args`` is implemented (if wrong); its source
    is still judged.
    """
    from autograder.checks import Mistake
    from autograder.proxy import StudentError

    try:
        result = student.call(name, *args).result
    except StudentError as exc:
        if exc.is_a("NotImplementedError"):
            raise
        return
    if result is None:
        raise Mistake(f"`{name}` returned None, expected a result; loop-freedom points count only for a "
                      "function that is implemented")


def expect_no_loops(student, name: str, *, banned: Iterable[str] = (), loops_allowed: bool = False,
                    advice: str = "use operations on whole tensors instead") -> None:
    """Fail with a Mistake when the source of ``name`` (or a helper it calls) has a loop or a banned API."""
    from autograder.checks import Mistake

    banned = tuple(banned)
    index = SourceIndex(_submission(student).cells)
    try:
        findings = [] if loops_allowed else find_loops(index, name)
        findings += find_references(index, name, banned) if banned else []
    except FunctionNotFound as exc:
        raise Mistake(str(exc)) from None
    findings = _unique(findings)
    if findings:
        rules = ([] if loops_allowed else ["no Python loops"]) + (
            [f"no use of {', '.join(b.lstrip('.') for b in banned)}"] if banned else [])
        raise Mistake(f"`{name}` uses {describe(findings)}; expected {' and '.join(rules)}: {advice}")


def traced(student, name: str, calls: list[tuple], watch_libraries: bool = False,
           errors_allowed: bool = False) -> list[dict]:
    """Run :func:`trace_calls` in the worker and check the shape of its answer (it is untrusted data)."""
    from autograder.checks import Mistake

    report = student.trusted(trace_calls, _submission(student).module, name, list(calls), watch_libraries)
    fields = {"count": int, "names": list, "libraries": list, "error": (str, type(None))}
    if type(report) is not list or len(report) != len(calls) or not all(
            type(r) is dict and all(isinstance(r.get(k), t) and type(r.get(k)) is not bool for k, t in fields.items())
            for r in report):
        raise Mistake("the loop check could not read what your code did (did something replace the grader's tools?)")
    for entry in report:
        if entry["error"] and entry["error"].startswith("NotImplementedError"):
            raise Mistake(f"`{name}` is not implemented yet (it raised NotImplementedError)")
        if entry["error"] and not errors_allowed:
            raise Mistake(f"`{name}` raised {entry['error']} on the loop check's input, so it could not be checked")
    return report


def expect_constant_work(student, name: str, small: tuple, large: tuple, sizes: str = "") -> None:
    """The number of torch calls must not grow with the input, as it does when a Python loop runs."""
    from autograder.checks import Mistake

    few, many = traced(student, name, [small, large])
    if many["count"] > few["count"]:
        repeated = max(set(many["names"]), key=many["names"].count) if many["names"] else "?"
        raise Mistake(f"`{name}` made {few['count']} torch calls on the small input but {many['count']} on the "
                      f"larger one{f' ({sizes})' if sizes else ''} (`{repeated}` most often): the work grows with "
                      "the input, the mark of a Python loop; expected the same number of calls at both sizes")


def expect_no_library_calls(student, name: str, args: tuple) -> None:
    """``name`` must not call into torch or numpy at all (e.g. broadcast_shape works on tuples of ints).

    Raising an error (other than NotImplementedError) is allowed: what was called before it counts.
    """
    from autograder.checks import Mistake

    (entry,) = traced(student, name, [args], watch_libraries=True, errors_allowed=True)
    used = entry["libraries"] or entry["names"]
    if entry["count"] or used:
        raise Mistake(f"`{name}` called {', '.join(map(str, used[:4]))} from torch/numpy; expected no torch or "
                      "numpy calls at all: compute the shape from the two tuples by the three rules")
