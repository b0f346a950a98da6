"""The loop check: static findings from source text, the runtime trace, and the grader-side checks."""

from __future__ import annotations

import inspect
import sys
import textwrap
import types

import pytest
import torch

from autograder.checks import Mistake
from autograder.grading.session import Session
from autograder.loopcheck import (
    FunctionNotFound,
    SourceIndex,
    describe,
    dotted_name,
    expect_constant_work,
    expect_implemented,
    expect_no_library_calls,
    expect_no_loops,
    find_loops,
    find_references,
    trace_calls,
)
from autograder.proxy import StudentProxy
from autograder.submission import load_submission


def cells(source: str, label: str = "sub.py") -> list[tuple[str, str]]:
    return [(textwrap.dedent(source), label)]


def kinds(source: str, name: str = "f") -> list[str]:
    return [f.what for f in find_loops(cells(source), name)]


@pytest.mark.parametrize(("body", "kind"), [
    ("for row in a:\n        pass", "a for loop"),
    ("while a.numel():\n        break", "a while loop"),
    ("return torch.stack([r * 2 for r in a])", "a list comprehension"),
    ("return {r for r in a}", "a set comprehension"),
    ("return {i: r for i, r in enumerate(a)}", "a dict comprehension"),
    ("return sum(r for r in a)", "a generator expression"),
    ("return list(map(abs, a))", "map(), a loop in disguise"),
    ("return list(filter(None, a))", "filter(), a loop in disguise"),
    ("return functools.reduce(lambda x, y: x + y, a)", "reduce(), a loop in disguise"),
    ("return a.apply_(lambda v: v * 2)", "Tensor.apply_(), which calls Python once per element"),
    ("return f(a[1:]) if len(a) else a", "recursion, a loop in disguise"),
    ("return eval('a + 1')", "eval(), which hides code from the loop check"),
    ("sys.setprofile(None)\n    return a", "sys.setprofile, which tampers with the grader"),
])
def test_each_kind_of_loop_is_found(body, kind):
    assert kinds(f"import functools, sys, torch\ndef f(a):\n    {body}\n") == [kind]


def test_vectorised_code_has_no_findings():
    source = """
        import torch
        def f(a, col):
            column = a[:, col]
            return column[column % 4 == 0].sum(dim=0, keepdim=True)
    """
    assert find_loops(cells(source), "f") == []


def test_loops_elsewhere_in_the_file_do_not_count():
    source = """
        TABLE = [i * i for i in range(10)]
        def other(a):
            for x in a:
                pass
        def f(a):
            return a + 1
    """
    assert find_loops(cells(source), "f") == []


def test_helpers_called_by_name_are_followed():
    source = """
        def _inner(x):
            return [v for v in x]
        def _helper(x):
            return _inner(x)
        def f(a):
            return _helper(a)
    """
    findings = find_loops(cells(source), "f")
    assert [(f.function, f.line, f.what) for f in findings] == [("_inner", 3, "a list comprehension")]
    assert find_loops(cells(source), "f", follow_helpers=False) == []


def test_the_last_definition_wins_across_notebook_cells():
    first = ("def f(a):\n    return [x for x in a]\n", "nb [cell 1]")
    second = ("def f(a):\n    return a * 2\n", "nb [cell 2]")
    assert find_loops([first, second], "f") == []
    findings = find_loops([second, first], "f")
    assert len(findings) == 1 and findings[0].label == "nb [cell 1]"
    assert "nb [cell 1] line 2" in str(findings[0])


def test_lambda_assignments_and_guarded_definitions_are_read():
    source = """
        f = lambda a: [x for x in a]
        try:
            def g(a):
                while True:
                    break
        except Exception:
            pass
    """
    assert kinds(source, "f") == ["a list comprehension"]
    assert kinds(source, "g") == ["a while loop"]


def test_code_hidden_from_the_reading_counts_anywhere_in_the_file():
    source = """
        exec("def _impl(a):\\n    return [x for x in a]")
        def f(a):
            return _impl(a)
        def g(a):
            return eval("a")
    """
    findings = [str(f) for f in find_loops(cells(source), "f")]
    assert findings == ["exec(), which hides code from the loop check (sub.py line 2, outside any function)",
                        "eval(), which hides code from the loop check (sub.py line 6, outside any function)"]
    assert [(f.function, f.line) for f in find_loops(cells(source), "g")] == [("<module>", 2), ("g", 6)]


def test_a_missing_function_is_a_clear_error():
    with pytest.raises(FunctionNotFound, match="def top_right_quadrant"):
        find_loops(cells("x = 1\n"), "top_right_quadrant")
    index = SourceIndex([("def f(:\n", "bad cell"), ("def g(a):\n    return a\n", "good cell")])
    assert index.unreadable == ["bad cell"] and find_loops(index, "g") == []


def test_references_resolve_import_aliases():
    source = """
        import numpy as np
        import torch
        from torch import broadcast_shapes as bs
        def uses_np(a, b):
            return np.broadcast_shapes(a, b)
        def uses_alias(a, b):
            return bs(a, b)
        def uses_tensors(a, b):
            return (torch.empty(a) + torch.empty(b)).shape
        def uses_expand(t, shape):
            return t.expand(shape).shape
        def imports_inside(a, b):
            import numpy
            return numpy.empty(a).shape
        def pure(a, b):
            n = max(len(a), len(b))
            return tuple(max(x, y) for x, y in zip(a, b))
    """
    banned = ("torch", "numpy", ".broadcast_shapes", ".expand")
    found = {name: [f.what for f in find_references(cells(source), name, banned)]
             for name in ("uses_np", "uses_alias", "uses_tensors", "uses_expand", "imports_inside", "pure")}
    assert found["uses_np"] == ["`.broadcast_shapes`", "`np` (numpy)"]
    assert found["uses_alias"] == ["`bs` (torch.broadcast_shapes)"]
    assert found["uses_tensors"] == ["`torch` (torch)"]
    assert found["uses_expand"] == ["`.expand`"]
    assert found["imports_inside"] == ["an import of numpy", "`numpy` (numpy)"]
    assert found["pure"] == []


def test_dotted_names_follow_aliases():
    import ast

    node = ast.parse("np.linalg.norm", mode="eval").body
    assert dotted_name(node, {"np": "numpy"}) == "numpy.linalg.norm"
    assert dotted_name(ast.parse("f()(x).y", mode="eval").body, {}) is None


def test_describe_lists_a_few_findings():
    source = "def f(a):\n" + "".join(f"    for x{i} in a:\n        pass\n" for i in range(5))
    text = describe(find_loops(cells(source), "f"), limit=2)
    assert text.count("a for loop") == 2 and text.endswith("and 3 more")


# ---------------------------------------------------------------- runtime trace, in this process


@pytest.fixture
def student_module():
    module = types.ModuleType("tg_loopcheck_student")
    exec(textwrap.dedent("""
        import numpy as np
        import torch

        def looped(a):
            out = torch.zeros(a.shape[0])
            for i in range(a.shape[0]):
                out[i] = a[i].sum()
            return out

        def vectorised(a):
            return a.sum(dim=1)

        def with_numpy(a, b):
            return tuple(np.broadcast_shapes(a, b))

        def with_torch(a, b):
            return tuple(torch.broadcast_shapes(a, b))

        def pure(a, b):
            return tuple(max(x, y) for x, y in zip(a, b))

        def broken(a):
            raise ValueError("no")
    """), module.__dict__)
    sys.modules[module.__name__] = module
    yield module.__name__
    del sys.modules[module.__name__]


def test_trace_counts_grow_only_with_a_loop(student_module):
    small, large = (torch.ones(3, 4),), (torch.ones(12, 4),)
    looped = trace_calls(student_module, "looped", [small, large])
    vectorised = trace_calls(student_module, "vectorised", [small, large])
    assert looped[1]["count"] > looped[0]["count"] > 0
    assert vectorised[0]["count"] == vectorised[1]["count"] > 0
    assert "sum" in vectorised[0]["names"] and vectorised[0]["error"] is None


def test_trace_sees_library_calls_and_errors(student_module):
    args = [((2, 3), (5, 1, 3))]
    assert any(n.startswith("numpy") for n in trace_calls(student_module, "with_numpy", args, True)[0]["libraries"])
    assert any(n.startswith("torch") for n in trace_calls(student_module, "with_torch", args, True)[0]["libraries"])
    assert trace_calls(student_module, "pure", args, True)[0]["libraries"] == []
    assert trace_calls(student_module, "broken", [(torch.ones(2),)])[0]["error"] == "ValueError: no"


def test_trace_calls_is_self_contained(student_module):
    """It is shipped to the worker as source text and run in an empty namespace."""
    namespace = {"__name__": "tensorgrade_trusted"}
    exec(compile(textwrap.dedent(inspect.getsource(trace_calls)), "<grader helper>", "exec"), namespace)
    report = namespace["trace_calls"](student_module, "vectorised", [(torch.ones(2, 2),)])
    assert report[0]["count"] > 0


# ---------------------------------------------------------------- the grader-side checks, through a real worker

SUBMISSION = '''
import torch

def looped(a):
    out = torch.zeros(a.shape[0])
    for i in range(a.shape[0]):
        out[i] = a[i].sum()
    return out

def vectorised(a):
    return a.sum(dim=1)

def shape_with_torch(a, b):
    return tuple(torch.broadcast_shapes(a, b))

def shape_by_rules(a, b):
    if len(a) != len(b):
        raise ValueError("sizes 1 and 2")
    return tuple(y if x == 1 else x for x, y in zip(a, b))

def todo(a):
    raise NotImplementedError

def nothing(a):
    pass
'''


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    path = tmp_path_factory.mktemp("loopcheck") / "sub.py"
    path.write_text(SUBMISSION)
    with Session(load_submission(path, "sub")) as session:
        yield StudentProxy(session)


def test_grader_checks_through_the_worker(student):
    small, large = (torch.ones(3, 4),), (torch.ones(11, 4),)
    expect_no_loops(student, "vectorised")
    with pytest.raises(Mistake, match=r"`looped` uses a for loop \(sub.py line 6"):
        expect_no_loops(student, "looped")
    expect_constant_work(student, "vectorised", small, large)
    with pytest.raises(Mistake, match="made .* torch calls on the small input but .* the mark of a Python loop"):
        expect_constant_work(student, "looped", small, large)
    expect_no_library_calls(student, "shape_by_rules", ((2, 1), (1, 3)))
    expect_no_library_calls(student, "shape_by_rules", ((2, 1), (3,)))  # raising is fine: nothing was called
    with pytest.raises(Mistake, match="from torch/numpy"):
        expect_no_library_calls(student, "shape_with_torch", ((2, 1), (1, 3)))
    with pytest.raises(Mistake, match="no use of torch"):
        expect_no_loops(student, "shape_with_torch", banned=("torch",), loops_allowed=True)
    with pytest.raises(Mistake, match="def missing"):
        expect_no_loops(student, "missing")


def test_only_implemented_functions_earn_loop_points(student):
    from autograder.proxy import StudentError

    expect_implemented(student, "vectorised", (torch.ones(2, 2),))
    expect_implemented(student, "shape_by_rules", ((1,), (2, 3)))  # wrong but implemented
    with pytest.raises(StudentError, match="not implemented yet"):
        expect_implemented(student, "todo", (torch.ones(2),))
    with pytest.raises(Mistake, match="returned None"):
        expect_implemented(student, "nothing", (torch.ones(2),))
    with pytest.raises(Mistake, match="not implemented yet"):
        expect_constant_work(student, "todo", (torch.ones(2),), (torch.ones(3),))


# ---------------------------------------------------------------- what runs is what is read (issue 13)


def test_a_decoy_def_rebound_to_a_looping_method_is_refused():
    source = """
        import torch
        def f(a):
            return a * 2
        class _Impl:
            def f(self, a):
                return torch.stack([r * 2 for r in a])
        f = _Impl().f
    """
    with pytest.raises(FunctionNotFound, match=r"also bound by an assignment \(sub.py line 8\)"):
        find_loops(cells(source), "f")
    with pytest.raises(FunctionNotFound, match="do not rebind it"):
        find_references(cells(source), "f", ("torch",))


@pytest.mark.parametrize("rebinding", [
    "from functools import partial as f",
    "f, g = g, f",
    "for f in (g,):\n    pass",
    "with open(__file__) as f:\n    pass",
    "(f := g)",
    "del f",
    "def setup():\n    global f\n    f = g\nsetup()",
    "try:\n    pass\nexcept Exception as f:\n    pass",
])
def test_every_other_way_of_binding_the_name_is_refused(rebinding):
    source = f"def g(a):\n    return [x for x in a]\ndef f(a):\n    return a\n{rebinding}\n"
    with pytest.raises(FunctionNotFound, match="also bound by"):
        find_loops(cells(source), "f")


def test_rebinding_through_the_module_namespace_is_tampering():
    for line, what in [("globals()['f'] = g", "globals()"), ("setattr(sys.modules[__name__], 'f', g)", "setattr()"),
                       ("sys.modules[__name__].f = g", "sys.modules"), ("f.__code__ = g.__code__", "__code__")]:
        source = f"import sys\ndef g(a):\n    return [x for x in a]\ndef f(a):\n    return a\n{line}\n"
        found = [x.what for x in find_loops(cells(source), "f")]
        assert any(w.startswith(what) and "behind the loop check's back" in w for w in found), (line, found)


def test_a_definition_in_a_branch_counts_whichever_branch_defines_last():
    looping_first = """
        if True:
            def f(a):
                return [x for x in a]
        else:
            def f(a):
                return a * 2
    """
    looping_last = looping_first.replace("return [x for x in a]", "return a + 0").replace(
        "return a * 2", "return [y for y in a]")
    assert kinds(looping_first) == ["a list comprehension"]
    assert kinds(looping_last) == ["a list comprehension"]
    in_handler = ("try:\n    import missing_module\nexcept ImportError:\n"
                  "    def f(a):\n        while a:\n            break\n")
    assert kinds(in_handler) == ["a while loop"]


def test_attribute_and_item_assignments_are_not_rebindings():
    source = """
        def f(a):
            return a * 2
        f.__doc__ = "doubles"
        TABLE = {}
        TABLE["f"] = f
    """
    assert find_loops(cells(source), "f") == []


def test_helpers_bound_to_objects_and_classes_are_read():
    source = """
        class Looper:
            def run(self, a):
                return [x for x in a]
        _impl = Looper()
        helper = Looper().run
        def f(a):
            return _impl.run(a)
        def g(a):
            return helper(a)
        def h(a):
            return Looper().run(a)
    """
    for name in ("f", "g", "h"):
        assert [(x.function, x.what) for x in find_loops(cells(source), name)] == [("Looper", "a list comprehension")]


def test_a_looping_decorator_is_read():
    source = """
        import numpy as np
        def loop_each(fn):
            def wrapper(a):
                return [fn(x) for x in a]
            return wrapper
        @loop_each
        def f(a):
            return a * 2
        @np.vectorize
        def g(a):
            return a * 2
    """
    assert kinds(source, "f") == ["a list comprehension"]
    assert kinds(source, "g") == ["numpy.vectorize(), a Python loop in disguise"]


def test_a_loop_in_a_branch_inside_the_function_is_found():
    source = """
        import torch
        def f(a):
            if a.numel() > 10_000:  # the grader's inputs are small: this branch never runs there
                return a * 2
            else:
                return torch.stack([r * 2 for r in a])
    """
    assert kinds(source) == ["a list comprehension"]
