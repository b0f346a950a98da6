"""Public checks inside a notebook: the assignment's test_public.py, run by pytest in the kernel.

Generated notebooks embed this file's source (see release.public_checks), after the engine's
own ``faults.py`` and ``scoring.py`` (loaded as ``tensorgrade_faults`` and ``tensorgrade_scoring``),
so a notebook describes faults and scores partial credit exactly as the engine does, from the
same code rather than a copy. All three stay standard library (and pytest) only, because a
notebook runs wherever a student has torch and pytest, with or without tensorgrade. Its
``student`` fixture calls the notebook's own functions directly: these checks help students
while they work, they grade nothing (grading always goes through tensorgrade's sandboxed worker).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import os
import shutil
import sys
import tempfile
import types
from dataclasses import dataclass
from typing import Any

try:
    import pytest
except ImportError:  # the checks say how to fix this instead of crashing the notebook
    pytest = None

NO_CUDA = "no CUDA device here"
STATE: dict[str, Any] = {}


try:  # in a notebook: the setup cell registered the engine's own files under these names first
    from tensorgrade_faults import BadReply, StudentCrash, StudentError, StudentFault, StudentTimeout, describe_error
    from tensorgrade_scoring import Credit as _Credit
    from tensorgrade_scoring import earned
except ImportError:  # imported from the package (tensorgrade's own tests)
    from autograder.faults import (  # noqa: F401 - re-exported to the public tests
        BadReply,
        StudentCrash,
        StudentError,
        StudentFault,
        StudentTimeout,
        describe_error,
    )
    from autograder.scoring import Credit as _Credit
    from autograder.scoring import earned


@dataclass
class Call:
    """A call's result with the arguments as they were after it (like tensorgrade's ``student.call``)."""

    result: Any
    args: tuple
    kwargs: dict
    output: str


def _error(exc: BaseException) -> dict:
    names = [k.__name__ for k in type(exc).__mro__ if k.__module__ == "builtins"]
    return {"type": type(exc).__name__, "builtins": names, "message": str(exc)}


def describe(exc: BaseException, what: str) -> str:
    """The engine's words for an exception (faults.describe_error), from the exception itself."""
    return describe_error(_error(exc), what)


DATA_SCALARS = (type(None), bool, int, float, complex, str, bytes)


def _is_data(value: Any) -> bool:
    """What tensorgrade's wire carries as data (exact types); anything else stays behind a handle."""
    import numpy as np
    import torch

    kind = type(value)
    return (kind in DATA_SCALARS or kind is torch.Tensor or (kind is np.ndarray and value.dtype != object)
            or (isinstance(value, np.generic) and kind.__module__ == "numpy")
            or kind in (torch.dtype, torch.device, torch.Size))


def _wrap(value: Any) -> Any:
    """A result as the grader would see it: data as is, containers element-wise, other objects as handles."""
    if isinstance(value, RemoteObject) or _is_data(value):
        return value
    if type(value) in (list, tuple):
        return type(value)(_wrap(v) for v in value)
    if type(value) is dict and all(type(k) in (str, int) for k in value):
        return {k: _wrap(v) for k, v in value.items()}
    return RemoteObject(value)


def _prepare(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Arguments for a call: handles become their objects; data is copied (the check's own inputs stay as they are)."""
    handles: dict[int, Any] = {}

    def unwrap(value: Any) -> Any:
        if isinstance(value, RemoteObject):
            handles[id(value._obj)] = value._obj
            return value._obj
        if type(value) in (list, tuple):
            return type(value)(unwrap(v) for v in value)
        if type(value) is dict:
            return {k: unwrap(v) for k, v in value.items()}
        return value

    args, kwargs = unwrap(args), unwrap(kwargs)
    with contextlib.suppress(Exception):  # an object that cannot be copied is passed as it is
        args, kwargs = copy.deepcopy((args, kwargs), dict(handles))
    return args, kwargs


def _invoke(label: str, owner: str, function: Any, args: tuple, kwargs: dict) -> tuple[Any, tuple, dict, str]:
    args, kwargs = _prepare(args, kwargs)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            result = function(*args, **kwargs)
    except (Exception, SystemExit) as exc:
        if isinstance(exc, NotImplementedError):
            STATE["student"].not_implemented.add(owner)
        raise StudentError(describe(exc, label), _error(exc)) from None
    return result, args, kwargs, output.getvalue()


class RemoteObject:
    """A student object that is not data (a model, a loader), as tensorgrade's handle of the same name."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    @property
    def type_name(self) -> str:
        return type(self._obj).__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.call_method(None, *args, **kwargs)

    def call_method(self, name: str | None, *args: Any, **kwargs: Any) -> Any:
        function = self._obj if name is None else getattr(self._obj, name)
        label = f"`{self.type_name}.{name}`" if name else f"calling your `{self.type_name}`"
        return _wrap(_invoke(label, self.type_name, function, args, kwargs)[0])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return _wrap(getattr(self._obj, name))

    def __len__(self) -> int:
        return len(self._obj)

    def __iter__(self) -> RemoteObject:
        return RemoteObject(iter(self._obj))

    def __next__(self) -> Any:
        return _wrap(next(self._obj))

    def __repr__(self) -> str:
        return f"<student {self.type_name}>"


class NotebookStudent:
    """The ``student`` fixture in a notebook: calls the functions the notebook defined."""

    def __init__(self, namespace: dict) -> None:
        self._namespace = namespace
        self.not_implemented: set[str] = set()

    def _function(self, name: str) -> Any:
        function = self._namespace.get(name)
        if not callable(function):
            raise StudentError(f"`{name}` is not defined: run the cell that defines it first",
                               {"type": "NameError", "builtins": ["NameError", "Exception"], "message": name})
        return function

    def call(self, name: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Call:
        result, args, kwargs, output = _invoke(f"`{name}`", name, self._function(name), args, kwargs)
        return Call(_wrap(result), _wrap(args), _wrap(kwargs), output)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs).result

    def has(self, name: str) -> bool:
        return callable(self._namespace.get(name))

    def trusted(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """A grader-side helper: run as it is (in tensorgrade it runs in the worker, apart from student code)."""
        args, kwargs = _prepare(args, kwargs)
        return _wrap(function(*args, **kwargs))

    def timed(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, float]:
        import time

        start = time.perf_counter()
        result = getattr(self, name)(*args, **kwargs)
        return result, time.perf_counter() - start


class Credit(_Credit):
    """Partial credit inside one check: the engine's own rule (scoring.Credit), counting its Mistake and faults."""

    def __init__(self) -> None:
        super().__init__(counted=(STATE["Mistake"], StudentFault))


@dataclass
class Outcome:
    """One public check's result in the notebook."""

    name: str
    points: float
    score: float
    status: str  # PASS | FAIL | TODO | SKIP
    message: str = ""


if pytest is not None:

    @pytest.fixture
    def student() -> NotebookStudent:
        return STATE["student"]

    @pytest.fixture
    def credit() -> Credit:
        return Credit()

    @pytest.fixture
    def extra_data() -> dict:
        return {}

    def pytest_generate_tests(metafunc: Any) -> None:
        if "device" in metafunc.fixturenames:
            import torch

            skip = pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
            metafunc.parametrize("device", [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=skip)])

    def pytest_configure(config: Any) -> None:
        config.addinivalue_line("markers", "points(n): what the check is worth")
        config.addinivalue_line("markers", "visibility(v): who sees the result")

    def pytest_runtest_setup(item: Any) -> None:
        STATE["student"].not_implemented.clear()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item: Any, call: Any) -> Any:
        report = (yield).get_result()
        if (call.when == "setup" and report.passed) or (call.when == "teardown" and
                                                        (report.passed or getattr(item, "_tg_done", False))):
            return
        item._tg_done = True
        STATE["outcomes"].append(_outcome(item, call, report))


def _display_name(item: Any) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    base = doc.strip().splitlines()[0].rstrip(".") if doc and doc.strip() else getattr(item, "originalname", item.name)
    callspec = getattr(item, "callspec", None)
    return f"{base} [{callspec.id}]" if callspec is not None and callspec.id else base


def _outcome(item: Any, call: Any, report: Any) -> Outcome:
    marker = item.get_closest_marker("points")
    points = float(marker.args[0]) if marker is not None and marker.args else 1.0
    outcome = Outcome(_display_name(item), points, 0.0, "FAIL")
    credit = item.funcargs.get("credit") if hasattr(item, "funcargs") else None
    todo = sorted(STATE["student"].not_implemented)
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        outcome.status, outcome.message = "SKIP", reason.removeprefix("Skipped: ")
    elif call.excinfo is None:
        outcome.score = earned(points, credit, stopped=False)  # the engine's rule, so scores match tensorgrade's
        if credit is not None and credit.used and credit.failures:
            outcome.message = credit.feedback()
        else:
            outcome.status = "PASS"
    else:
        exc = call.excinfo.value
        if isinstance(exc, (STATE["Mistake"], StudentFault)):
            outcome.score = earned(points, credit, stopped=True)
            outcome.message = str(exc)
        else:
            outcome.message = f"the check itself failed ({type(exc).__name__}: {exc}); tell your instructor"
    if outcome.status == "FAIL" and todo and outcome.score == 0:
        outcome.status = "TODO"
        outcome.message = f"not implemented yet: {', '.join(todo)}"
    return outcome


@contextlib.contextmanager
def _engine_modules() -> Any:
    """Let ``from autograder.checks import ...`` in the public tests find the embedded copies."""
    names = ("autograder", "autograder.checks", "autograder.proxy")
    saved = {name: sys.modules.get(name) for name in names}
    package = types.ModuleType("autograder")
    package.__path__ = []
    package.checks, package.proxy = STATE["checks"], sys.modules[__name__]
    sys.modules.update({"autograder": package, "autograder.checks": STATE["checks"],
                        "autograder.proxy": sys.modules[__name__]})
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def setup(namespace: dict, *, assignment: str, checks_source: str, tests_source: str, groups: dict) -> Any:
    """Prepare the checks for one notebook; returns ``run_checks``."""
    checks = types.ModuleType("autograder.checks")
    exec(compile(checks_source, "autograder/checks.py", "exec"), checks.__dict__)  # noqa: S102 - our own engine code
    folder = tempfile.mkdtemp(prefix="tensorgrade-checks-")
    atexit.register(shutil.rmtree, folder, True)  # the kernel's scratch copy of the public tests goes with it
    path = os.path.join(folder, f"test_public_{assignment}.py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(tests_source)
    STATE.update(checks=checks, Mistake=checks.Mistake, path=path, folder=folder, groups=groups,
                 student=NotebookStudent(namespace), outcomes=[])
    return run_checks


def collect(tests: list[str]) -> list[Outcome]:
    """Run the named public tests (``test_x`` or ``TestClass::test_x``) and return their outcomes."""
    STATE["outcomes"] = []
    args = [f"{STATE['path']}::{t}" for t in tests] + [
        "-q", "-s", "-p", "no:cacheprovider", "-p", "no:faulthandler", "-p", "no:randomly", "--assert=plain",
        "--import-mode=importlib", "-o", "addopts=", "-c", os.devnull, "--rootdir", STATE["folder"]]
    sink = io.StringIO()
    with _engine_modules(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = pytest.main(args, plugins=[sys.modules[__name__]])
    if not STATE["outcomes"] and int(code) not in (0, 1):
        raise RuntimeError(f"the public checks could not run (pytest exit {int(code)}):\n{sink.getvalue()[-2000:]}")
    return list(STATE["outcomes"])


def run_checks(function: str | None = None, *, strict: bool = False) -> None:
    """Run the public checks of ``function`` (all of them when None) and print one line per check.

    ``strict`` (used by nbgrader and otter-grader test cells) prints nothing and raises
    AssertionError unless every check passes.
    """
    if pytest is None:
        message = "the public checks need pytest: run `pip install pytest` in this notebook's environment"
        if strict:
            raise AssertionError(message)
        print(message)
        return
    groups = STATE["groups"]
    tests = groups.get(function, []) if function else [t for group in groups.values() for t in group]
    if not tests:
        print(f"no public checks for {function}")
        return
    outcomes = collect(tests)
    counted = [o for o in outcomes if o.status != "SKIP"]
    score, total = sum(o.score for o in counted), sum(o.points for o in counted)
    lines = [f"  {o.status}  {o.name} ({o.score:g}/{o.points:g})" + (f": {o.message}" if o.message else "")
             for o in outcomes]
    title = f"public checks{' for ' + function if function else ''}: {score:g}/{total:g} points"
    if strict:
        if any(o.status != "PASS" for o in counted) or not counted:
            raise AssertionError("\n".join([title, *lines]))
        return
    if counted and all(o.status == "PASS" for o in counted):
        lines.append("  every public check here passes; the hidden graders check more (other inputs, shapes, "
                     "dtypes, devices), so this is a good sign, not your grade")
    print("\n".join([title, *lines]))
