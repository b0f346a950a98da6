"""Hidden graders for hw6_tensors_in_practice. Expected values are computed here, never in the worker.

Models handed to ``predict``, ``save_state`` and ``load_state`` are built in the worker from
weights chosen here (``student.trusted``); what the grader expects of them it computes from the
same weights on its own copy, so every point comes from an outcome, never from a record the
student's code could write.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.checks import (
    Mistake,
    broadcasting,
    describe_expected,
    expect_device,
    expect_tensor,
    expect_tensor_meta,
    expect_type,
    expect_unchanged,
    expect_view_of,
    first_difference,
    matches,
    naming_mistakes,
    same_storage,
)
from autograder.faults import describe_error
from autograder.proxy import RemoteObject, StudentError


def data(seed: int, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(tuple(shape), generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


def error_text(exc: StudentError) -> str:
    """The type and message of an error from the worker, where they are strings (cut: it is the student's text)."""
    parts = [exc.error.get(key) for key in ("type", "message")] if type(exc.error) is dict else []
    return " ".join(part[:2000] for part in parts if type(part) is str)


def answer(student, name: str, *args, what: str, expected=None):
    """The student's call; an exception other than NotImplementedError is a Mistake that says what was expected."""
    try:
        return student.call(name, *args)
    except StudentError as exc:
        if exc.is_a("NotImplementedError"):
            raise
        wanted = f"; expected {describe_expected(expected)}" if expected is not None else ""
        raise Mistake(f"{describe_error(exc.error, what)}{wanted}") from None


# ---------------------------------------------------------------- numpy and .to()


@pytest.mark.points(2)
def test_to_numpy(student, credit):
    """to_numpy shares the tensor's memory, also for a tensor that requires grad"""
    cases = [("a float32 (2, 3) tensor", data(1, 2, 3)), ("an int64 tensor", torch.arange(-3, 5)),
             ("a float64 tensor that requires grad", data(2, 4, dtype=torch.float64).requires_grad_()),
             ("a float32 (3, 2) tensor that requires grad", data(3, 3, 2).requires_grad_())]
    for label, t in cases:
        with credit.case(label):
            try:
                call = student.call("to_numpy", t)
            except StudentError as exc:
                if exc.is_a("NotImplementedError") or not t.requires_grad:
                    raise
                raise Mistake(f"{describe_error(exc.error, 'to_numpy(t)')}: t.numpy() refuses a tensor that "
                              "requires grad; t.detach().numpy() gives the same memory without the graph") from None
            expect_type(call.result, np.ndarray, "to_numpy(t)")
            expected = t.detach().numpy()
            if call.result.dtype != expected.dtype or call.result.shape != expected.shape:
                raise Mistake(f"to_numpy(t) is a {call.result.dtype} array of shape {call.result.shape}, expected "
                              f"{expected.dtype} of shape {expected.shape}")
            if not np.array_equal(call.result, expected):
                raise Mistake("to_numpy(t) has values other than t's")
            if not same_storage(call.result, call.args[0]):
                raise Mistake("to_numpy(t) copied the data: np.array(t) and t.clone() copy; t.detach().numpy() "
                              "shares t's memory (a write to one shows in the other)")


@pytest.mark.points(2)
def test_as_float32(student, credit):
    """as_float32 returns x itself for float32 input and converts other dtypes"""
    x32 = data(4, 3, 4)
    cases = [("a float32 (3, 4) tensor", x32, True), ("a float32 column of a (3, 4) tensor", x32[:, 1], True),
             ("a float64 tensor", data(5, 5, dtype=torch.float64), False),
             ("an int64 tensor", torch.arange(-2, 4), False)]
    for label, x, same in cases:
        with credit.case(label):
            call = answer(student, "as_float32", x, what="as_float32(x)", expected=x.to(torch.float32))
            expect_tensor(call.result, x.to(torch.float32), "as_float32(x)")
            if same:
                try:
                    expect_view_of(call.result, call.args[0], "as_float32(x)", "x", expected=x)
                except Mistake as exc:
                    named = Mistake(f"{exc}. x.to(torch.float32) (or x.float()) already returns x itself when x is "
                                    "float32: the copy doubles the memory for nothing")
                    named.diagrams = exc.diagrams
                    raise named from None
                if call.result.storage_offset() != call.args[0].storage_offset():
                    raise Mistake("as_float32(x) shares x's storage but starts elsewhere in it; return x itself")
            expect_unchanged(call.args[0], x, "x")


# ---------------------------------------------------------------- images: ToTensor and Normalize


def image(seed: int, h: int, w: int, c: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, c), dtype=np.uint8)


def expected_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img.astype(np.float64)).permute(2, 0, 1).to(torch.float32) / 255


def to_tensor_hints(img: np.ndarray):
    h, w, c = img.shape
    scaled = torch.from_numpy(img.astype(np.float32)) / 255
    return [("view() keeps the elements in memory order, so it cannot move channels to the front: (H, W, C) "
             "viewed as (C, H, W) mixes pixels and channels; use permute(2, 0, 1)", lambda: scaled.reshape(c, h, w)),
            ("The values are 255 times too large: ToTensor scales uint8 pixels to [0, 1] (divide by 255)",
             lambda: torch.from_numpy(img.astype(np.float32)).permute(2, 0, 1)),
            ("Transposing dims 0 and 2 gives (C, W, H): height and width swapped; use permute(2, 0, 1)",
             lambda: scaled.transpose(0, 2).contiguous())]


@pytest.mark.points(3)
def test_to_tensor(student, credit):
    """to_tensor turns (H, W, C) uint8 into (C, H, W) float32 in [0, 1], pixels in place"""
    for seed, (h, w, c) in enumerate(((4, 5, 3), (2, 6, 1), (3, 3, 3), (5, 2, 4))):
        img = image(seed, h, w, c)
        with credit.case(f"an image of (H, W, C) = ({h}, {w}, {c})"):
            expected = expected_tensor(img)
            call = answer(student, "to_tensor", img, what="to_tensor(image)", expected=expected)
            with naming_mistakes(call.result, to_tensor_hints(img)):
                expect_tensor(call.result, expected, "to_tensor(image)")
            expect_unchanged(call.args[0], img, "image")


def normalize_hints(img: torch.Tensor, mean: tuple, std: tuple):
    m, s = torch.tensor(mean, dtype=img.dtype), torch.tensor(std, dtype=img.dtype)
    return [("mean and std of shape (C,) broadcast against the last dimension (W), not against the channels: "
             "view them as (C, 1, 1)", lambda: (img - m) / s),
            ("You divided before subtracting: (x - mean) / std needs the parentheses", lambda: img - m.view(-1, 1, 1)
             / s.view(-1, 1, 1))]


NORMALIZE_CASES = [((3, 4, 5), (0.5, 0.4, 0.3), (0.2, 0.25, 0.5)), ((1, 3, 2), (0.1307,), (0.3081,)),
                   ((3, 2, 3), (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)),
                   ((2, 3, 4), (-1.0, 2.0), (4.0, 0.5))]


@pytest.mark.points(3)
def test_normalize(student, credit):
    """normalize subtracts mean[c] and divides by std[c] per channel"""
    for seed, (shape, mean, std) in enumerate(NORMALIZE_CASES):
        img = data(10 + seed, *shape).abs()
        label = f"a {tuple(shape)} image, {len(mean)} channel means"
        with credit.case(label), broadcasting("normalize(image, mean, std)",
                                              {"image": shape, "mean": (len(mean),)}):
            expected = (img.double() - torch.tensor(mean, dtype=torch.float64).view(-1, 1, 1)) / torch.tensor(
                std, dtype=torch.float64).view(-1, 1, 1)
            call = answer(student, "normalize", img, list(mean), list(std), what="normalize(image, mean, std)",
                          expected=expected.float())
            with naming_mistakes(call.result, normalize_hints(img, mean, std)):
                expect_tensor(call.result, expected.float(), "normalize(image, mean, std)")


@pytest.mark.points(1)
def test_normalize_leaves_input(student, credit):
    """normalize returns a new tensor and leaves the image as it was"""
    for seed, (shape, mean, std) in enumerate(NORMALIZE_CASES[:2]):
        img = data(20 + seed, *shape).abs()
        with credit.case(f"a {tuple(shape)} image"):
            expected = (img.double() - torch.tensor(mean, dtype=torch.float64).view(-1, 1, 1)) / torch.tensor(
                std, dtype=torch.float64).view(-1, 1, 1)
            call = answer(student, "normalize", img, list(mean), list(std), what="normalize(image, mean, std)")
            expect_tensor(call.result, expected.float(), "normalize(image, mean, std)")  # points only for answers
            expect_unchanged(call.args[0], img, "image")


# ---------------------------------------------------------------- dot products and logistic regression


@pytest.mark.points(2)
def test_cosine_similarity(student, credit):
    """cosine_similarity returns a 0-d tensor, like torch.dot"""
    for n, seed in ((5, 30), (1, 31), (8, 32)):
        a, b = data(seed, n), data(seed + 100, n)
        with credit.case(f"two vectors of {n} element{'s' * (n > 1)}"):
            expected = (torch.dot(a.double(), b.double()) / (a.double().norm() * b.double().norm())).float()
            call = answer(student, "cosine_similarity", a, b, what="cosine_similarity(a, b)", expected=expected)
            if type(call.result) is float:
                raise Mistake("cosine_similarity(a, b) is a Python float; return the 0-d tensor itself "
                              "(torch.dot gives one; .item() leaves the tensor world and the device)")
            expect_tensor(call.result, expected, "cosine_similarity(a, b)")


def sigmoid_hints(z: torch.Tensor):
    return [("That is z(1 - z): the formula σ'(z) = σ(z)(1 - σ(z)) applies to σ(z), not to z", lambda: z * (1 - z))]


@pytest.mark.points(1)
def test_sigmoid_grad(student, credit):
    """sigmoid_grad is σ(z)(1 - σ(z)), matching autograd"""
    for label, z in (("z of shape (6,)", data(40, 6) * 3), ("z of shape (2, 3) with large entries",
                                                          data(41, 2, 3) * 30)):
        with credit.case(label):
            zg = z.double().requires_grad_()
            torch.sigmoid(zg).sum().backward()
            call = answer(student, "sigmoid_grad", z, what="sigmoid_grad(z)", expected=z)
            with naming_mistakes(call.result, sigmoid_hints(z)):
                expect_tensor(call.result, zg.grad.float(), "sigmoid_grad(z)", atol=1e-7)
            expect_unchanged(call.args[0], z, "z")


def bce_cases():
    p = torch.sigmoid(data(50, 7) * 2)
    y = (data(51, 7) > 0).float()
    edge_p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5])
    edge_y = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])
    return [("7 probabilities and labels", p, y), ("p of exactly 0 and 1, right and wrong", edge_p, edge_y),
            ("one sample", p[:1], y[:1])]


def bce_hints(p: torch.Tensor, y: torch.Tensor):
    log_p, log_q = torch.log(p).clamp(min=-100), torch.log(1 - p).clamp(min=-100)
    return [("The sign of the (1 - y) term is wrong: BCE is -[y log p + (1 - y) log(1 - p)], both terms negated",
             lambda: (-y * log_p + (1 - y) * log_q).mean()),
            ("That is the sum over samples, not the mean", lambda: F.binary_cross_entropy(p, y, reduction="sum")),
            ("log(0) is -inf, and 0 * -inf is NaN: clamp each log at -100 as nn.BCELoss does",
             lambda: (-(y * torch.log(p) + (1 - y) * torch.log(1 - p))).mean())]


@pytest.mark.points(2)
def test_bce_loss(student, credit):
    """bce_loss is the mean binary cross-entropy, finite for p of 0 and 1"""
    for label, p, y in bce_cases():
        with credit.case(label):
            expected = F.binary_cross_entropy(p.double(), y.double()).float()
            call = answer(student, "bce_loss", p, y, what="bce_loss(p, y)", expected=expected)
            with naming_mistakes(call.result, bce_hints(p, y)):
                expect_tensor(call.result, expected, "bce_loss(p, y)", rtol=1e-5, atol=1e-5)
            if type(call.result) is torch.Tensor and not torch.isfinite(call.result).all():
                raise Mistake("bce_loss(p, y) is not finite")
            expect_unchanged(call.args[0], p, "p")
            expect_unchanged(call.args[1], y, "y")


def logistic_case(seed: int, n: int, d: int):
    X = data(seed, n, d)
    w, b = data(seed + 1, d) * 0.5, data(seed + 2) * 0.3
    y = ((X @ w + b + data(seed + 3, n) * 0.5) > 0).float()
    return w, b, X, y


def autograd_logistic(w, b, X, y):
    wg, bg = w.double().requires_grad_(), b.double().requires_grad_()
    F.binary_cross_entropy(torch.sigmoid(X.double() @ wg + bg), y.double()).backward()
    return wg.grad.float(), bg.grad.float()


def logistic_hints(w, b, X, y):
    p = torch.sigmoid(X @ w + b)
    return [("You multiplied by the sigmoid's derivative p(1 - p) again: for BCE it cancels, and the gradient is "
             "X.T @ (p - y) / N", lambda: X.T @ ((p - y) * p * (1 - p)) / X.shape[0]),
            ("That is the gradient of the summed loss: divide by N for the mean", lambda: X.T @ (p - y))]


@pytest.mark.points(3)
def test_logistic_grad(student, credit):
    """logistic_grad gives dw and db of the mean BCE of a logistic regression, as autograd does"""
    for seed, (n, d) in ((60, (8, 3)), (70, (5, 1)), (80, (12, 4))):
        w, b, X, y = logistic_case(seed, n, d)
        with credit.case(f"X of shape ({n}, {d})"):
            dw, db = autograd_logistic(w, b, X, y)
            call = answer(student, "logistic_grad", w, b, X, y, what="logistic_grad(w, b, X, y)")
            expect_type(call.result, tuple, "logistic_grad(w, b, X, y)")
            if len(call.result) != 2:
                raise Mistake(f"logistic_grad(w, b, X, y) returned {len(call.result)} values, expected (dw, db)")
            with naming_mistakes(call.result[0], logistic_hints(w, b, X, y)):
                expect_tensor(call.result[0], dw, "dw", rtol=1e-4, atol=1e-6)
            expect_tensor(call.result[1], db, "db", rtol=1e-4, atol=1e-6)
            for after, before, name in zip(call.args, (w, b, X, y), ("w", "b", "X", "y")):
                expect_unchanged(after, before, name)


# ---------------------------------------------------------------- train/validation split, validation loss


SPLITS = [(100, 0.2, 7), (10, 0.25, 3), (30, 0.5, 11), (12, 0.0, 5), (9, 0.34, 1)]


def expect_split(result, n: int, fraction: float, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    expect_type(result, tuple, what)
    if len(result) != 2:
        raise Mistake(f"{what} returned {len(result)} values, expected (train indices, validation indices)")
    n_val = int(fraction * n)
    for part, name, size in ((result[0], "the train indices", n - n_val), (result[1], "the validation indices",
                                                                            n_val)):
        expect_type(part, torch.Tensor, f"{name} of {what}")
        if part.dtype != torch.int64 or part.dim() != 1 or part.device.type != "cpu":
            raise Mistake(f"{name} of {what} should be a 1-D int64 tensor, got {describe_expected(part)}")
        if part.numel() != size:
            raise Mistake(f"{name} of {what} hold {part.numel()} indices, expected {size} "
                          f"(int({fraction} * {n}) = {n_val} for validation"
                          + ("; careful: order[:-0] is empty" if n_val == 0 else "") + ")")
    joined = torch.cat(result)
    if not torch.equal(joined.sort().values, torch.arange(n)):
        raise Mistake(f"{what}: the two parts must together hold every index 0..{n - 1} exactly once")
    return result


@pytest.mark.points(2)
def test_split_indices(student, credit):
    """split_indices: disjoint, covering, sized int(fraction * n), shuffled, reproducible for a seed"""
    for n, fraction, seed in SPLITS:
        with credit.case(f"n={n}, val_fraction={fraction}, seed={seed}"):
            what = f"split_indices({n}, {fraction}, {seed})"
            train, val = expect_split(answer(student, "split_indices", n, fraction, seed, what=what).result, n,
                                      fraction, what)
            again = expect_split(answer(student, "split_indices", n, fraction, seed, what=what).result, n, fraction,
                                 what)
            if not (torch.equal(again[0], train) and torch.equal(again[1], val)):
                raise Mistake(f"{what} gave two different splits for the same seed: seed a torch.Generator")
            if 0 < val.numel() < n:
                ends = ({*range(val.numel())}, {*range(n - val.numel(), n)})
                if set(val.tolist()) in ends:
                    raise Mistake(f"{what}: the validation indices are the first or last {val.numel()}: shuffle "
                                  "first (torch.randperm) so that both sets come from the whole data")
    with credit.case("different seeds"):
        first = answer(student, "split_indices", 50, 0.2, 1, what="split_indices(50, 0.2, 1)").result
        second = answer(student, "split_indices", 50, 0.2, 2, what="split_indices(50, 0.2, 2)").result
        expect_split(first, 50, 0.2, "split_indices(50, 0.2, 1)")
        expect_split(second, 50, 0.2, "split_indices(50, 0.2, 2)")
        if torch.equal(first[1], second[1]):
            raise Mistake("split_indices gave the same split for seeds 1 and 2: use the seed")


@pytest.mark.points(2)
def test_validation_loss(student, credit):
    """validation_loss is the BCE on validation data, recorded by no autograd graph"""
    for seed, (n, d) in ((90, (6, 3)), (95, (10, 2))):
        w, b, X, y = logistic_case(seed, n, d)
        w, b = w.requires_grad_(), b.requires_grad_()
        with credit.case(f"w and b that require grad, X of shape ({n}, {d})"):
            with torch.no_grad():
                expected = F.binary_cross_entropy(torch.sigmoid(X.double() @ w.double() + b.double()), y.double())
            call = answer(student, "validation_loss", w, b, X, y, what="validation_loss(w, b, X, y)",
                          expected=expected.float())
            p = torch.sigmoid(X @ w.detach() + b.detach())
            with naming_mistakes(call.result, [(f"(your bce_loss) {m}", f) for m, f in bce_hints(p, y)]):
                expect_tensor(call.result, expected.float(), "validation_loss(w, b, X, y)", rtol=1e-5, atol=1e-6)
            if call.result.requires_grad:
                raise Mistake("validation_loss(w, b, X, y) is part of the autograd graph (it requires grad): "
                              "compute it under `with torch.no_grad():`, the validation loss is never backpropagated")


# ---------------------------------------------------------------- eval mode, state_dict


def make_model(state):
    """Shipped to the worker: Linear → BatchNorm1d → ReLU → Dropout → Linear, holding ``state``, in training mode."""
    from torch import nn

    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3))
    model.load_state_dict(state)
    return model.train()


def state_of(model):
    """Shipped to the worker: a copy of the model's state_dict."""
    return {key: value.detach().clone() for key, value in model.state_dict().items()}


def reference_model(seed: int) -> torch.nn.Module:
    """The grader's copy, with running statistics far from BatchNorm's defaults (so train mode shows)."""
    with torch.random.fork_rng(devices=[]):  # the grader's own random state stays as it was
        torch.manual_seed(seed)
        return _reference_model(seed)


def _reference_model(seed: int) -> torch.nn.Module:
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                torch.nn.Dropout(0.5), torch.nn.Linear(8, 3))
    with torch.no_grad():
        model[1].running_mean.copy_(data(seed, 8))
        model[1].running_var.copy_(data(seed + 1, 8).abs() + 0.5)
        model[1].weight.copy_(data(seed + 2, 8) + 1)
    return model


def worker_model(student, seed: int):
    reference = reference_model(seed)
    state = {k: v.detach().clone() for k, v in reference.state_dict().items()}
    try:
        return reference, student.trusted(make_model, state)
    except StudentError as exc:
        raise Mistake(describe_error(exc.error, "building the test model")) from None


PREDICT_HINT = ("The output is not that of eval mode: call model.eval() first (in training mode dropout zeroes "
                "random units and batch norm uses the batch's own statistics)")


def predict_answer(student, seed: int):
    reference, model = worker_model(student, seed)
    x = data(seed + 5, 6, 4)
    with torch.no_grad():
        expected = reference.eval()(x)
    call = answer(student, "predict", model, x, what="predict(model, x)", expected=expected)
    expect_tensor_meta(call.result, expected, "predict(model, x)")
    if first_difference(call.result, expected, 1e-4, 1e-5) is not None:
        raise Mistake(PREDICT_HINT)
    return call


@pytest.mark.points(3)
def test_predict_eval_mode(student, credit):
    """predict gives the model's eval-mode output (dropout off, batch norm on running statistics)"""
    for seed in (200, 300):
        with credit.case(f"a model with dropout and batch norm (seed {seed})"):
            predict_answer(student, seed)


@pytest.mark.points(1)
def test_predict_no_grad(student, credit):
    """predict's output carries no autograd history"""
    with credit.case("a model whose parameters require grad"):
        call = predict_answer(student, 400)  # points only for a right answer
        if call.result.requires_grad:
            raise Mistake("predict(model, x) is part of the autograd graph: run the model under "
                          "`with torch.no_grad():` when you only need its predictions")


def expect_state(actual, reference: torch.nn.Module, what: str) -> None:
    expected = reference.state_dict()
    expect_type(actual, dict, what)
    if set(actual) != set(expected):
        raise Mistake(f"{what} has the keys {sorted(map(str, actual))[:8]}, expected {sorted(expected)[:8]}")
    for key, value in expected.items():
        expect_tensor(actual[key], value, f"{what}[{key!r}]", rtol=0, atol=0)


@pytest.mark.points(3)
def test_save_and_load_state(student, credit):
    """save_state's bytes load into another model of the same architecture (weights_only=True)"""
    for seed in (500, 600):
        with credit.case(f"seed {seed}"):
            saved, source = worker_model(student, seed)
            blob = answer(student, "save_state", source, what="save_state(model)").result
            if not isinstance(blob, RemoteObject) or blob.type_name != "bytes":
                kind = blob.type_name if isinstance(blob, RemoteObject) else type(blob).__name__
                raise Mistake(f"save_state(model) should return bytes (what torch.save writes into an io.BytesIO), "
                              f"but it returned a {kind[:60]}")
            other, target = worker_model(student, seed + 1)
            try:
                student.call("load_state", target, blob)
            except StudentError as exc:
                if exc.is_a("NotImplementedError"):
                    raise
                advice = (": torch.load(..., weights_only=True) refuses a pickled module; save model.state_dict(), "
                          "not the model itself" if "npickl" in error_text(exc) else "")
                raise Mistake(describe_error(exc.error, "load_state(model, blob)") + advice) from None
            after = student.trusted(state_of, target)
            if type(after) is dict and all(matches(after.get(k), v) for k, v in other.state_dict().items()):
                raise Mistake("after load_state(model, blob) the model still has its own weights: load into the "
                              "model itself with model.load_state_dict(...) (model.state_dict() is a new dict "
                              "of references each time: updating it changes nothing)")
            expect_state(after, saved, "the model's state_dict after load_state")


# ---------------------------------------------------------------- devices


def devices() -> list[str]:
    return ["meta"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.points(2)
def test_to_device(student, credit):
    """to_device returns the batch on the target device (meta here; CUDA too where there is one)"""
    for target in devices():
        for label, batch in (("float images and int64 labels", (data(700, 4, 1, 2, 2), torch.arange(4))),
                             ("a batch of one", (data(701, 1, 3), torch.tensor([2])))):
            with credit.case(f"{label}, to '{target}'"):
                call = answer(student, "to_device", batch, target, what=f"to_device(batch, '{target}')")
                expect_type(call.result, tuple, f"to_device(batch, '{target}')")
                if len(call.result) != 2:
                    raise Mistake(f"to_device(batch, '{target}') returned {len(call.result)} values, expected 2")
                for part, original, name in zip(call.result, batch, ("inputs", "labels")):
                    hint = ("; tensor.to(device) returns a new tensor and leaves the old one where it was: "
                            "keep what it returns (only nn.Module.to works in place)")
                    try:
                        expect_device(part, target, f"the {name} from to_device")
                    except Mistake as exc:
                        raise Mistake(f"{exc}{hint}") from None
                    expected = original.to(target)
                    expect_tensor(part, expected, f"the {name} from to_device")
                    if target != "meta":
                        expect_tensor(part.cpu(), original, f"the {name} from to_device")
