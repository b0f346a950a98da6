"""Reading one submission file (.py or .ipynb) into what the worker will execute.

Nothing here runs student code. A file that cannot be read becomes a Submission with a
``problem``: every test that needs the code fails with that message, and grading goes on.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

MAX_SUBMISSION_BYTES = 2 * 1024 * 1024  # of code: a .py file, or the code cells of a notebook
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # a notebook's outputs (plots) may weigh far more than its code
CHECK_TAG = "tensorgrade-check"  # notebook cells with this tag hold public checks, not answers
_MAGIC = re.compile(r"^(\s*)([%!].*)$")
_ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.]+\s*=\s*)([%!].*)$")  # files = !ls, t = %timeit -o f()
_HELP = re.compile(r"^(\s*)([\w.]+\?{1,2})\s*$")  # torch.zeros?
# Nesting bounds. CPython's parser gives up on deep nesting with RecursionError or MemoryError
# (not SyntaxError), and every recursive reader after it (the loop check's visitors, nbformat's
# schema validation) has its own, lower, limit. Checking the depth once here, iteratively, means
# nothing downstream ever meets a tree deeper than these; honest code stays far below them.
MAX_SYNTAX_DEPTH = 120  # syntax-tree levels: a deeply nested comprehension in real code is ~30
MAX_JSON_DEPTH = 64  # a notebook is ~6 levels deep; metadata may nest a little more


@dataclass
class Submission:
    """One student's file, as the worker will see it."""

    path: Path
    module: str  # the module name graders expect (e.g. "storage")
    raw: bytes = b""
    cells: list[tuple[str, str]] = field(default_factory=list)  # (source, label) executed in order
    problem: str | None = None  # a student-readable reason the file cannot be run

    @property
    def filename(self) -> str:
        return f"{self.module}.py"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def load_submission(path: str | Path, module: str) -> Submission:
    """Read ``path``; never raises for a bad file (the problem is recorded instead)."""
    path = Path(path)
    sub = Submission(path=path, module=module)
    try:
        size = path.stat().st_size
        limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_SUBMISSION_BYTES
        if size > limit:
            sub.problem = (f"the file is {size:,} bytes, more than the {limit:,} allowed; "
                           "submit only your code (no data, models or outputs)")
            return sub
        sub.raw = path.read_bytes()
    except OSError as exc:
        sub.problem = f"the file could not be read ({exc.strerror})"
        return sub
    if path.suffix == ".ipynb":
        _read_notebook(sub)
    else:
        _read_python(sub)
    return sub


def _read_python(sub: Submission) -> None:
    if not sub.raw.strip():
        sub.problem = "the file is empty: did you save before submitting?"
        return
    if b"\x00" in sub.raw:
        sub.problem = "the file is not Python source (it contains binary data)"
        return
    try:
        text = sub.raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        sub.problem = f"the file is not UTF-8 text (bad byte at position {exc.start})"
        return
    problem = _syntax_problem(text, sub.filename)
    if problem:
        sub.problem = problem
        return
    sub.cells = [(text, sub.filename)]


def _syntax_problem(text: str, label: str) -> str | None:
    too_deep = (f"{label} nests expressions or blocks too deeply to be read (more than {MAX_SYNTAX_DEPTH} levels); "
                "split the deepest expression into named steps")
    try:
        tree = ast.parse(text, label)
        if _deeper_than(tree, MAX_SYNTAX_DEPTH, ast.iter_child_nodes):
            return too_deep
        compile(tree, label, "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = (exc.text or "").strip()[:200]
        return f"{label} has a syntax error on line {exc.lineno}: {exc.msg}" + (f" → {line}" if line else "")
    except (RecursionError, MemoryError):  # the parser's own depth limits, reached before ours
        return too_deep
    except ValueError as exc:
        return f"{label} cannot be compiled: {str(exc)[:200]}"
    return None


def _deeper_than(root: object, limit: int, children: Callable[[object], Iterable[object]]) -> bool:
    """Whether a tree nests more than ``limit`` levels, found without recursion (it may be as deep as the
    parser allowed) and without walking past ``limit``."""
    todo = [(root, 1)]
    while todo:
        node, depth = todo.pop()
        if depth > limit:
            return True
        todo.extend((child, depth + 1) for child in children(node))
    return False


def _json_children(node: object) -> Iterable[object]:
    return node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()


def notebook_code_cells(nb: dict) -> list[tuple[str, list[str]]]:
    """(source, tags) of each code cell of a notebook dict."""
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        tags = list(cell.get("metadata", {}).get("tags", []))
        cells.append((source, tags))
    return cells


def strip_magics(source: str) -> str:
    """Comment out IPython magics, shell escapes and help queries: they mean nothing outside a kernel."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        # a cell magic (%%bash, %%capture, ...) makes the whole cell something other than Python
        return "\n".join(["pass  # removed: a cell magic"] + [f"# {line}" for line in lines])
    out = []
    for line in lines:
        line = _ASSIGNED_MAGIC.sub(r"\1None  # removed: \2", line)
        line = _HELP.sub(r"\1pass  # removed: \2", line)
        out.append(_MAGIC.sub(r"\1pass  # removed: \2", line))
    return "\n".join(out)


def _read_notebook(sub: Submission) -> None:
    import nbformat

    too_deep = (f"the notebook's JSON nests more than {MAX_JSON_DEPTH} levels deep, which no Jupyter notebook does; "
                "re-download it or submit the .py file")
    try:
        nb = json.loads(sub.raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        sub.problem = f"the notebook is not valid JSON ({str(exc)[:200]}); re-download it or submit the .py file"
        return
    except (RecursionError, MemoryError):  # the decoder's own nesting limit
        sub.problem = too_deep
        return
    if _deeper_than(nb, MAX_JSON_DEPTH, _json_children):
        sub.problem = too_deep
        return
    try:
        node = nbformat.from_dict(nb)
        nbformat.validate(node)
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        sub.problem = f"the file is not a valid Jupyter notebook ({first})"
        return
    for index, (source, tags) in enumerate(notebook_code_cells(nb)):
        if CHECK_TAG in tags or not source.strip():
            continue
        label = f"{sub.path.name} [cell {index + 1}]"
        code = strip_magics(source)
        problem = _syntax_problem(code, label)
        # a cell with a syntax error is skipped alone; the others still define their functions
        sub.cells.append((code if problem is None else f"raise SyntaxError({problem!r})", label))
    if not sub.cells:
        sub.problem = "the notebook has no code cells with answers"
    elif sum(len(code) for code, _ in sub.cells) > MAX_SUBMISSION_BYTES:
        sub.problem = (f"the notebook holds more than {MAX_SUBMISSION_BYTES:,} bytes of code; "
                       "submit only your code (no data pasted into cells)")
