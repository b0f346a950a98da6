"""PyTorch-aware mutation operators: each turns one libcst node into the mistakes students make with it.

An operator is a function ``(node, ctx) -> iterable of (replacement, description | None)``
registered in :data:`OPERATORS` with the node types it looks at. A replacement is a libcst
node (or a :class:`libcst.FlattenSentinel` of statements); :mod:`autograder.mutants.generate`
swaps it into the module, one replacement per mutant. A description of ``None`` means
"show the code before and after". Operators never look at node positions or regions: which
nodes may be mutated is the generator's business.

The operators are syntactic: they do not know types. Where a rewrite is known to change nothing
for Python numbers (``total += x`` on a float), the operator skips names bound to number literals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import libcst as cst

Replacement = cst.CSTNode | cst.FlattenSentinel
Yield = Iterator[tuple[Replacement, str | None]]


@dataclass
class Context:
    """What an operator may know besides the node: the module (for source text) and the function."""

    module: cst.Module
    function: str = "<module>"
    scalars: frozenset[str] = frozenset()  # names bound to number literals in the current function
    uses_autograd: bool = False  # the module mentions backward/autograd/requires_grad
    params: frozenset[str] = frozenset()  # the current function's parameter names
    parent: cst.CSTNode | None = None  # the node that holds this one

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


@dataclass(frozen=True)
class Operator:
    """A registered operator: its name, what it does, the node types it is offered."""

    name: str
    doc: str
    types: tuple[type, ...]
    apply: Callable[[cst.CSTNode, Context], Iterable[tuple[Replacement, str | None]]] = field(compare=False)


OPERATORS: dict[str, Operator] = {}


def operator(name: str, doc: str, *types: type):
    """Register ``fn`` as operator ``name`` for nodes of ``types``."""
    def register(fn):
        OPERATORS[name] = Operator(name, doc, types, fn)
        return fn
    return register


# ---------------------------------------------------------------- helpers

# reductions and other calls whose dim argument is positional: method form x.f(dim), function form torch.f(x, dim)
DIM_CALLS = {"sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "softmax", "log_softmax", "any",
             "all", "std", "var", "norm", "cumsum", "cumprod", "prod", "logsumexp", "median", "nansum", "nanmean",
             "count_nonzero", "cat", "concat", "stack", "flip", "gather", "index_select", "sort", "argsort", "topk",
             "diff", "roll"}
KEEPDIM_CALLS = {"sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "any", "all", "std", "var",
                 "norm", "prod", "logsumexp", "median", "nansum", "nanmean"}
MODULES = {"torch", "F", "np", "numpy", "nn", "functional", "linalg", "fft", "special"}
# tensor methods with an in-place twin name_ (and a torch.name function); shape ops left out on purpose
IN_PLACE = {"add", "sub", "mul", "div", "cos", "sin", "tan", "exp", "log", "clamp", "clamp_min", "clamp_max", "abs",
            "neg", "sqrt", "rsqrt", "pow", "masked_fill", "sigmoid", "tanh", "relu", "floor", "ceil", "round",
            "sign", "reciprocal", "square", "fmod", "remainder", "index_fill", "scatter", "scatter_add",
            "index_add", "lerp", "addmm", "exp2", "log1p", "expm1", "erf", "nan_to_num"}
DROPPED_CALLS = {"zero_grad": "gradients accumulate across batches",
                 "eval": "the model stays in training mode",
                 "train": "the model stays in whatever mode it was in",
                 "requires_grad_": "autograd does not track the tensor"}
GRAD_MODES = {"no_grad", "inference_mode", "enable_grad"}
SIMPLE_EXPR = (cst.Name, cst.Integer, cst.Float, cst.Attribute, cst.Call, cst.Subscript)
ADDITIVE = (cst.Multiply, cst.FloorDivide, cst.Divide, cst.Add, cst.Subtract, cst.Modulo, cst.Power)


def expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def dotted(node: cst.CSTNode) -> str | None:
    """``torch.nn.functional.softmax`` for a chain of names, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner else None
    return None


def call_name(node: cst.Call) -> tuple[str | None, bool]:
    """(the called name's last part, whether it is a method of a value rather than of a module)."""
    func = node.func
    if isinstance(func, cst.Attribute):
        owner = dotted(func.value)
        is_module = owner is not None and owner.split(".")[0] in MODULES
        return func.attr.value, not is_module
    if isinstance(func, cst.Name):
        return func.value, False
    return None, False


def keyword(node: cst.Call, name: str) -> tuple[int, cst.Arg] | None:
    for i, arg in enumerate(node.args):
        if arg.keyword is not None and arg.keyword.value == name:
            return i, arg
    return None


def positional(node: cst.Call) -> list[tuple[int, cst.Arg]]:
    return [(i, a) for i, a in enumerate(node.args) if a.keyword is None and not a.star]


def with_arg(node: cst.Call, index: int, value: cst.BaseExpression) -> cst.Call:
    args = list(node.args)
    args[index] = args[index].with_changes(value=value)
    return node.with_changes(args=args)


def without_arg(node: cst.Call, index: int) -> cst.Call:
    args = [a for i, a in enumerate(node.args) if i != index]
    if args:  # the last argument must not keep a trailing comma of the one removed
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(args=args)


def with_keyword(node: cst.Call, name: str, value: str) -> cst.Call:
    args = list(node.args)
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(cst.Arg(value=expr(value), keyword=cst.Name(name),
                        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=cst.SimpleWhitespace(""))))
    return node.with_changes(args=args)


def int_value(node: cst.BaseExpression) -> int | None:
    """The value of ``3`` or ``-1``, else None."""
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) and isinstance(
            node.expression, cst.Integer):
        return -int(node.expression.value, 0)
    return None


def wrapped(ctx: Context, node: cst.BaseExpression) -> str:
    """Source of ``node``, parenthesised unless it is an atom a suffix can follow."""
    code = ctx.code(node)
    return code if isinstance(node, SIMPLE_EXPR) and not node.lpar else f"({code})" if not node.lpar else code


def receiver(node: cst.Call) -> cst.BaseExpression:
    assert isinstance(node.func, cst.Attribute)
    return node.func.value


def method_call(node: cst.CSTNode, names: Iterable[str]) -> bool:
    """``value.name(...)`` for one of ``names``, called on a value (not a module function)."""
    if not isinstance(node, cst.Call):
        return False
    name, is_method = call_name(node)
    return is_method and name in set(names)


def statement_call(node: cst.SimpleStatementLine) -> cst.Call | None:
    """The call of a one-expression statement line such as ``optimizer.zero_grad()``."""
    if len(node.body) == 1 and isinstance(node.body[0], cst.Expr) and isinstance(node.body[0].value, cst.Call):
        return node.body[0].value
    return None


def pass_line(node: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=node.leading_lines)


def other_dims(value: int | None) -> list[int]:
    return [d for d in (0, 1, -1) if d != value]


def _names(node: cst.CSTNode) -> set[str]:
    """Every plain name used in an expression."""
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Names())
    return found


def dim_literal(d: int) -> cst.BaseExpression:
    return expr(str(d))


# ---------------------------------------------------------------- operators


@operator("dim", "another dim for a reduction or concatenation (dim=0 <-> 1 <-> -1, or a fixed one for a parameter)",
          cst.Call)
def swap_dim(node: cst.Call, ctx: Context) -> Yield:
    name, is_method = call_name(node)
    found = keyword(node, "dim")
    if found is None and name in DIM_CALLS:
        args = positional(node)
        position = 0 if is_method else 1
        if name in ("cat", "concat", "stack") and not is_method:
            position = 1
        if len(args) > position:
            found = args[position]
    if found is None:
        return
    index, arg = found
    value = int_value(arg.value)
    if value is None and not isinstance(arg.value, cst.Name):
        return
    for d in other_dims(value):
        yield with_arg(node, index, dim_literal(d)), None


@operator("keepdim", "toggle keepdim of a reduction", cst.Call)
def toggle_keepdim(node: cst.Call, ctx: Context) -> Yield:
    name, is_method = call_name(node)
    found = keyword(node, "keepdim")
    if found is not None:
        index, arg = found
        if isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False"):
            yield with_arg(node, index, cst.Name("False" if arg.value.value == "True" else "True")), None
        return
    if name in KEEPDIM_CALLS and (keyword(node, "dim") or len(positional(node)) > (0 if is_method else 1)):
        yield with_keyword(node, "keepdim", "True"), None


@operator("copies", "remove a .clone()/.detach()/.contiguous(), or add one to a returned value", cst.Call,
          cst.Return)
def copies(node: cst.CSTNode, ctx: Context) -> Yield:
    if isinstance(node, cst.Call):
        if method_call(node, ("clone", "detach", "contiguous")) and not positional(node):
            yield receiver(node), None
        return
    value = node.value
    if value is not None and (may_be_view(value) if not isinstance(value, cst.Name) else value.value in ctx.params):
        methods = ["clone", "contiguous"] + (["detach"] if ctx.uses_autograd else [])
        for method in methods:
            yield node.with_changes(value=expr(f"{wrapped(ctx, value)}.{method}()")), None


# results that may share memory with an input (or be it): only there can an added copy change an answer
VIEW_MAKERS = {"view", "reshape", "t", "transpose", "permute", "expand", "expand_as", "squeeze", "unsqueeze",
               "flatten", "unflatten", "narrow", "select", "unfold", "diagonal", "detach", "from_numpy", "as_tensor",
               "view_as", "reshape_as", "movedim", "moveaxis", "swapaxes", "as_strided", "split", "chunk", "unbind",
               "real", "imag", "T", "mT", "H", "mH", "contiguous", "requires_grad_"}


def _basic_index(element: cst.SubscriptElement) -> bool:
    """``1``, ``i``, ``:``, ``...``, ``None``: indexing that gives a view (lists, masks and tensors copy)."""
    index = element.slice
    if isinstance(index, cst.Slice):
        return True
    value = index.value
    return isinstance(value, (cst.Integer, cst.Name, cst.Ellipsis)) or int_value(value) is not None or (
        isinstance(value, cst.BinaryOperation) and not isinstance(value.left, cst.Comparison))


def may_be_view(node: cst.BaseExpression) -> bool:
    """Whether ``node`` may be an input, or share its memory, as far as the syntax tells.

    A name may be anything; a view-making method or basic indexing is a view of what it is applied
    to; any other call (``torch.mm``, ``masked_fill``) or operator makes new memory.
    """
    if isinstance(node, cst.Name):
        return True
    if isinstance(node, cst.Subscript):
        return all(_basic_index(e) for e in node.slice) and may_be_view(node.value)
    if isinstance(node, cst.Attribute):
        return node.attr.value in VIEW_MAKERS and may_be_view(node.value) or dotted(node) is not None
    if isinstance(node, cst.Call):
        name, is_method = call_name(node)
        if name is None:
            return False
        in_place_method = is_method and name.endswith("_") and not name.startswith("_")
        if is_method and (in_place_method or name in VIEW_MAKERS):
            return may_be_view(receiver(node))  # an in-place method returns its receiver
        return name in VIEW_MAKERS and bool(node.args) and may_be_view(node.args[0].value)
    return False


@operator("storage", "compare tensors instead of their storages: drop .untyped_storage() / .storage()", cst.Call)
def storage(node: cst.Call, ctx: Context) -> Yield:
    if method_call(node, ("untyped_storage", "storage")) and not node.args:
        yield receiver(node), None


@operator("numel_len", "x.numel() -> len(x) (the first dimension's size, not the element count)", cst.Call)
def numel_len(node: cst.Call, ctx: Context) -> Yield:
    if method_call(node, ("numel",)) and not node.args:
        yield expr(f"len({ctx.code(receiver(node))})"), None


NUMPY_BRIDGES = {"torch.tensor": ("torch.from_numpy",), "torch.from_numpy": ("torch.tensor",),
                 "torch.as_tensor": ("torch.tensor",)}


@operator("numpy_bridge", "copy <-> share an array's memory: torch.tensor(arr) <-> torch.from_numpy(arr)", cst.Call)
def numpy_bridge(node: cst.Call, ctx: Context) -> Yield:
    name = dotted(node.func)
    if isinstance(ctx.parent, cst.Attribute):
        return  # `torch.from_numpy(a).permute(...).float()`: what follows decides whether memory is shared
    if name in NUMPY_BRIDGES and len(node.args) == 1 and node.args[0].keyword is None and not node.args[0].star:
        for other in NUMPY_BRIDGES[name]:
            yield node.with_changes(func=expr(other)), None


@operator("view_reshape", "view() <-> reshape()", cst.Call)
def view_reshape(node: cst.Call, ctx: Context) -> Yield:
    if method_call(node, ("view", "reshape")):
        func = node.func
        other = "reshape" if func.attr.value == "view" else "view"
        yield node.with_changes(func=func.with_changes(attr=cst.Name(other))), None


@operator("in_place", "in-place <-> out-of-place: x.cos_() <-> x.cos(), torch.cos(x) -> x.cos_(), x -= m <-> x = x - m",
          cst.Call, cst.AugAssign, cst.Assign)
def in_place(node: cst.CSTNode, ctx: Context) -> Yield:
    if isinstance(node, cst.Call):
        name, is_method = call_name(node)
        if name is None:
            return
        if is_method and name.endswith("_") and not name.startswith("_") and name[:-1] in IN_PLACE:
            yield node.with_changes(func=node.func.with_changes(attr=cst.Name(name[:-1]))), None
        elif is_method and name in IN_PLACE:
            yield node.with_changes(func=node.func.with_changes(attr=cst.Name(name + "_"))), None
        elif (not is_method and name in IN_PLACE and dotted(node.func) == f"torch.{name}" and positional(node)
              and keyword(node, "out") is None):
            first = node.args[0]
            rest = list(node.args[1:])
            yield cst.Call(func=cst.Attribute(value=expr(wrapped(ctx, first.value)), attr=cst.Name(name + "_")),
                           args=rest), None
        return
    if isinstance(node, cst.AugAssign):
        if isinstance(node.target, cst.Name) and node.target.value in ctx.scalars:
            return  # `total += x` on a Python number: rebinding is all += can do
        symbol = node.operator.__class__.__name__.removesuffix("Assign")
        binary = getattr(cst, symbol, None)
        if binary is None:
            return
        target = ctx.code(node.target)
        value = ctx.code(node.value)
        op_code = ctx.code(node.operator).strip()[:-1]
        yield cst.Assign(targets=[cst.AssignTarget(target=node.target)],
                         value=expr(f"{target} {op_code} ({value})" if not isinstance(node.value, SIMPLE_EXPR)
                                    else f"{target} {op_code} {value}")), None
        return
    if (len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
            and isinstance(node.value, cst.BinaryOperation) and isinstance(node.value.left, cst.Name)
            and node.value.left.value == node.targets[0].target.value
            and node.targets[0].target.value not in ctx.scalars):
        aug = getattr(cst, node.value.operator.__class__.__name__ + "Assign", None)
        if aug is not None:
            yield cst.AugAssign(target=node.targets[0].target, operator=aug(), value=node.value.right), None


def _plus(ctx: Context, node: cst.BaseExpression, delta: int) -> cst.BaseExpression:
    value = int_value(node)
    if value is not None:
        return dim_literal(value + delta)
    simple = isinstance(node, SIMPLE_EXPR) or (isinstance(node, cst.BinaryOperation)
                                               and isinstance(node.operator, ADDITIVE))
    code = ctx.code(node) if simple else f"({ctx.code(node)})"
    return expr(f"{code} {'+' if delta > 0 else '-'} {abs(delta)}")


@operator("slice", "off-by-one slice bounds and steps", cst.Slice)
def slice_bounds(node: cst.Slice, ctx: Context) -> Yield:
    if node.lower is None:
        yield node.with_changes(lower=dim_literal(1)), None
    else:
        yield node.with_changes(lower=_plus(ctx, node.lower, 1)), None
        if int_value(node.lower) != 0:
            yield node.with_changes(lower=_plus(ctx, node.lower, -1)), None
    if node.upper is None:
        yield node.with_changes(upper=dim_literal(-1)), None
    else:
        yield node.with_changes(upper=_plus(ctx, node.upper, 1)), None
        yield node.with_changes(upper=_plus(ctx, node.upper, -1)), None
    if node.step is not None:
        step = int_value(node.step)
        yield node.with_changes(step=_plus(ctx, node.step, 1)), None
        if step is None or step > 1:
            yield node.with_changes(step=_plus(ctx, node.step, -1)), None


COMPARE_SWAPS = {cst.LessThan: cst.LessThanEqual, cst.LessThanEqual: cst.LessThan,
                 cst.GreaterThan: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.GreaterThan}


@operator("compare", "< <-> <=, > <-> >=", cst.Comparison)
def compare(node: cst.Comparison, ctx: Context) -> Yield:
    for i, target in enumerate(node.comparisons):
        swap = COMPARE_SWAPS.get(type(target.operator))
        if swap is None:
            continue
        old = target.operator
        new_op = swap(whitespace_before=old.whitespace_before, whitespace_after=old.whitespace_after)
        comparisons = list(node.comparisons)
        comparisons[i] = target.with_changes(operator=new_op)
        yield node.with_changes(comparisons=comparisons), None


@operator("mean_sum", "mean() <-> sum()", cst.Call)
def mean_sum(node: cst.Call, ctx: Context) -> Yield:
    name, _ = call_name(node)
    if isinstance(node.func, cst.Attribute) and name in ("mean", "sum"):
        other = "sum" if name == "mean" else "mean"
        yield node.with_changes(func=node.func.with_changes(attr=cst.Name(other))), None


@operator("std", "the other std/var estimator (unbiased <-> biased)", cst.Call)
def std_flags(node: cst.Call, ctx: Context) -> Yield:
    name, _ = call_name(node)
    if name not in ("std", "var") or not isinstance(node.func, cst.Attribute):
        return
    found = keyword(node, "unbiased")
    if found is not None:
        index, arg = found
        if isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False"):
            yield with_arg(node, index, cst.Name("False" if arg.value.value == "True" else "True")), None
        return
    found = keyword(node, "correction")
    if found is not None:
        index, arg = found
        value = int_value(arg.value)
        yield with_arg(node, index, dim_literal(1 if value == 0 else 0)), None
        return
    yield with_keyword(node, "unbiased", "False"), None


@operator("squeeze", "drop an unsqueeze()/squeeze(), squeeze every size-1 dim, or move its dim", cst.Call)
def squeeze(node: cst.Call, ctx: Context) -> Yield:
    name, is_method = call_name(node)
    if name not in ("unsqueeze", "squeeze"):
        return
    args = positional(node)
    if is_method:
        yield receiver(node), None
        dims = args[:1]
    else:
        if not args:
            return
        yield node.args[0].value, None
        dims = args[1:2]
    dim_kw = keyword(node, "dim")
    target = dims[0] if dims else dim_kw
    if target is None:
        return
    index, arg = target
    if name == "squeeze":
        yield without_arg(node, index), None
    value = int_value(arg.value)
    for d in other_dims(value):
        yield with_arg(node, index, dim_literal(d)), None


MATMUL_FUNCS = {"torch.mm", "torch.bmm", "torch.matmul"}
TRANSPOSES = {"T", "mT", "H", "mH"}


@operator("transpose", "transpose an operand of a matrix product, or drop a transpose", cst.BinaryOperation,
          cst.Call, cst.Attribute)
def transpose(node: cst.CSTNode, ctx: Context) -> Yield:
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.MatrixMultiply):
            yield node.with_changes(left=expr(f"{wrapped(ctx, node.left)}.mT")), None
            yield node.with_changes(right=expr(f"{wrapped(ctx, node.right)}.mT")), None
        return
    if isinstance(node, cst.Attribute):
        if node.attr.value in TRANSPOSES and dotted(node.value) not in ("torch", "np"):
            yield node.value, None
        return
    if dotted(node.func) in MATMUL_FUNCS:
        for index, arg in positional(node)[:2]:
            yield with_arg(node, index, expr(f"{wrapped(ctx, arg.value)}.mT")), None
    elif method_call(node, ("t", "transpose", "permute")):
        yield receiver(node), None


@operator("dtype", "float64 -> float32", cst.Attribute, cst.Call)
def dtype(node: cst.CSTNode, ctx: Context) -> Yield:
    if isinstance(node, cst.Attribute):
        name = dotted(node)
        if name in ("torch.float64", "torch.double"):
            yield expr("torch.float32"), None
        elif name in ("np.float64", "numpy.float64"):
            yield expr(name.replace("float64", "float32")), None
        return
    if method_call(node, ("double",)):
        yield node.with_changes(func=node.func.with_changes(attr=cst.Name("float"))), None


@operator("drop_call", "drop optimizer.zero_grad(), model.eval(), model.train(), x.requires_grad_()",
          cst.SimpleStatementLine)
def drop_call(node: cst.SimpleStatementLine, ctx: Context) -> Yield:
    call = statement_call(node)
    if call is not None and method_call(call, DROPPED_CALLS):
        name = call_name(call)[0]
        yield pass_line(node), f"drop `{ctx.code(call)}` ({DROPPED_CALLS[name]})"


def _grad_mode(item: cst.WithItem) -> bool:
    call = item.item
    return isinstance(call, cst.Call) and (dotted(call.func) or "").split(".")[-1] in GRAD_MODES


@operator("no_grad", "drop a torch.no_grad() block or decorator (keep its body)", cst.With, cst.FunctionDef)
def no_grad(node: cst.CSTNode, ctx: Context) -> Yield:
    if isinstance(node, cst.FunctionDef):
        for i, decorator in enumerate(node.decorators):
            target = decorator.decorator
            name = dotted(target.func if isinstance(target, cst.Call) else target) or ""
            if name.split(".")[-1] in GRAD_MODES:
                decorators = [d for j, d in enumerate(node.decorators) if j != i]
                yield node.with_changes(decorators=decorators), f"drop the decorator `@{ctx.code(target)}`"
        return
    modes = [item for item in node.items if _grad_mode(item)]
    if not modes or not isinstance(node.body, cst.IndentedBlock):
        return
    description = f"drop `with {ctx.code(modes[0].item)}:` (its body runs with gradients recorded)"
    if len(modes) == len(node.items):
        body = list(node.body.body)
        body[0] = body[0].with_changes(leading_lines=[*node.leading_lines, *body[0].leading_lines])
        yield cst.FlattenSentinel(body), description
    else:
        items = [item for item in node.items if not _grad_mode(item)]
        items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        yield node.with_changes(items=items), description


def _calls(block: cst.IndentedBlock, name: str) -> list[int]:
    found = []
    for i, statement in enumerate(block.body):
        if isinstance(statement, cst.SimpleStatementLine):
            call = statement_call(statement)
            if call is not None and method_call(call, (name,)):
                found.append(i)
    return found


@operator("step_order", "swap loss.backward() and optimizer.step()", cst.IndentedBlock)
def step_order(node: cst.IndentedBlock, ctx: Context) -> Yield:
    backward, step = _calls(node, "backward"), _calls(node, "step")
    if len(backward) == 1 and len(step) == 1:
        i, j = backward[0], step[0]
        body = list(node.body)
        body[i], body[j] = (body[j].with_changes(leading_lines=body[i].leading_lines),
                            body[i].with_changes(leading_lines=body[j].leading_lines))
        yield node.with_changes(body=body), (f"swap `{ctx.code(statement_call(node.body[i]))}` and "
                                             f"`{ctx.code(statement_call(node.body[j]))}`")


@operator("best_weights", "return the last weights instead of the best: drop load_state_dict(), or keep "
          "state_dict() references instead of a deep copy", cst.SimpleStatementLine, cst.Call)
def best_weights(node: cst.CSTNode, ctx: Context) -> Yield:
    if isinstance(node, cst.SimpleStatementLine):
        call = statement_call(node)
        if call is not None and method_call(call, ("load_state_dict",)):
            yield pass_line(node), f"drop `{ctx.code(call)}` (the model keeps its last epoch's weights)"
        return
    if dotted(node.func) in ("copy.deepcopy", "deepcopy") and len(node.args) == 1:
        yield node.args[0].value, None
