"""Values across the trust boundary: framing, plain-data encoding, and the safe loader.

Both sides use this module. The worker *encodes* whatever student code returns into plain
data (tensors, numbers, strings, containers, a few tagged dicts); anything else stays in the
worker behind a numbered handle. The trusted side *decodes* with ``torch.load(...,
weights_only=True)`` and then walks the result, accepting only exact, known types. The
worker-side encoder is a convenience, never a defence: student code can replace it, so every
guarantee is made again by :func:`decode` in the trusted process.
"""

from __future__ import annotations

import io
import os
import select
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

TAG = "__tg__"
HEADER = struct.Struct(">Q")
MAX_FRAME_BYTES = 256 * 1024 * 1024  # the most one reply may weigh; a huge storage view is refused
MAX_DEPTH = 64
MAX_NODES = 1_000_000
# a decoded tensor may not stand for more memory than this: ``zeros(1).expand(10**12)`` weighs a
# few bytes on the wire but would exhaust the grader's memory the first time it is compared
MAX_TENSOR_BYTES = 1024**3

_SCALARS = (type(None), bool, int, float, str, complex)


class WireError(Exception):
    """A reply that is not plain data of the expected form (too big, too deep, or tampered with)."""


# ---------------------------------------------------------------- framing


def _wait(fd: int, for_write: bool, deadline: float | None) -> None:
    """Block until ``fd`` is ready, or raise TimeoutError once ``deadline`` (time.monotonic) has passed."""
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        raise TimeoutError("the other side stopped in the middle of a frame")
    ready = select.select([], [fd], [], remaining) if for_write else select.select([fd], [], [], remaining)
    if not any(ready):
        raise TimeoutError("the other side stopped in the middle of a frame")


def write_frame(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """Write one length-prefixed frame; with a ``deadline`` the fd may be non-blocking and a stall times out."""
    data = memoryview(HEADER.pack(len(payload)) + payload)
    while data:
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            _wait(fd, True, deadline)
            continue
        data = data[written:]


def read_exact(fd: int, n: int, deadline: float | None = None) -> bytes:
    """Read exactly ``n`` bytes or raise EOFError (TimeoutError when ``deadline`` passes first)."""
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            # a peer that sends a header and then stalls must not hang the grader
            _wait(fd, False, deadline)
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int = MAX_FRAME_BYTES, deadline: float | None = None) -> bytes:
    """Read one frame, refusing any that claims to be larger than ``max_bytes``."""
    (length,) = HEADER.unpack(read_exact(fd, HEADER.size, deadline))
    if length > max_bytes:
        raise WireError(f"reply of {length:,} bytes exceeds the limit of {max_bytes:,} bytes")
    return read_exact(fd, length, deadline)


def dumps(obj: Any) -> bytes:
    """Serialise plain data with torch.save (keeps storage sharing between tensors saved together)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def loads(payload: bytes) -> Any:
    """The only loader: weights_only=True, and no fallback to unsafe unpickling, ever."""
    try:
        return torch.load(io.BytesIO(payload), weights_only=True, map_location=None)
    except Exception as exc:  # noqa: BLE001 - any refusal of the safe loader is a wire error
        raise WireError(f"reply refused by the safe loader ({_refusal(exc)})") from None


def _refusal(exc: Exception) -> str:
    """The line of a loader error that says what was refused (torch's first line is advice for trusted files)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    specific = [line for line in lines if "GLOBAL" in line or "Unsupported" in line or "unsupported" in line]
    detail = specific[0] if specific else lines[-1] if lines and not lines[-1].startswith("Weights only") else ""
    return f"{type(exc).__name__}: {detail[:200]}" if detail else f"{type(exc).__name__}: not a plain-data archive"


# ---------------------------------------------------------------- encoding (either side)


@dataclass(frozen=True)
class Ref:
    """Reference to an object that lives in the worker, by its handle id."""

    id: int
    type_name: str = "object"


def encode(value: Any, keep: Callable[[Any], Ref]) -> Any:
    """Turn ``value`` into plain data; objects that are not data go through ``keep`` to a Ref."""
    return _Encoder(keep).encode(value, 0)


class _Encoder:
    """One encoding pass; remembers storages so memory shared by tensors and arrays stays shared."""

    def __init__(self, keep: Callable[[Any], Ref]) -> None:
        self.keep = keep
        self.storages: dict[int, torch.UntypedStorage] = {}

    def unify(self, tensor: torch.Tensor) -> torch.Tensor:
        """Rebase ``tensor`` on an already seen storage object for the same memory.

        ``torch.from_numpy`` makes a new storage object for each call, and torch.save keeps
        sharing only between tensors of one storage *object*: without this, an array and a
        tensor that share memory would arrive as two copies.
        """
        storage = tensor.untyped_storage()
        ptr = storage.data_ptr() if tensor.device.type != "meta" else 0
        if not ptr:
            return tensor
        seen = self.storages.setdefault(ptr, storage)
        if seen is storage or seen.nbytes() < storage.nbytes():
            return tensor
        return torch.empty(0, dtype=tensor.dtype, device=tensor.device).set_(
            seen, tensor.storage_offset(), tensor.size(), tensor.stride())

    def encode(self, value: Any, depth: int) -> Any:
        return _encode(value, self, depth)


def _encode(value: Any, enc: _Encoder, depth: int) -> Any:
    keep = enc.keep
    if depth > MAX_DEPTH:
        raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is torch.Tensor:
        if value.requires_grad:
            fn = type(value.grad_fn).__name__ if value.grad_fn is not None else None
            return {TAG: "grad", "t": enc.unify(value.detach()), "fn": fn}
        return enc.unify(value)
    if kind is np.ndarray and value.dtype != object:
        try:
            return {TAG: "ndarray", "t": enc.unify(torch.from_numpy(value))}
        except (TypeError, ValueError):
            pass
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        return {TAG: "npscalar", "v": value.item(), "dtype": str(value.dtype)}
    if kind is torch.dtype:
        return {TAG: "dtype", "v": str(value).removeprefix("torch.")}
    if kind is torch.device:
        return {TAG: "device", "v": str(value)}
    if kind is torch.Size:
        return {TAG: "size", "v": [int(d) for d in value]}
    if kind is Ref:
        return {TAG: "ref", "id": value.id, "type": value.type_name}
    if kind in (list, tuple):
        items = [_encode(v, enc, depth + 1) for v in value]
        return items if kind is list else tuple(items)
    if kind is dict and all(type(k) in (str, int) for k in value):
        items = {k: _encode(v, enc, depth + 1) for k, v in value.items()}
        if TAG in value:  # a student dict that looks like a tag is carried as pairs
            return {TAG: "dict", "items": [[k, v] for k, v in items.items()]}
        return items
    ref = keep(value)
    return {TAG: "ref", "id": ref.id, "type": ref.type_name}


# ---------------------------------------------------------------- decoding (trusted side)


def decode(value: Any, resolve: Callable[[Ref], Any]) -> Any:
    """Check a safely loaded structure type by type and rebuild tagged values.

    Only exact built-in types survive; ``resolve`` turns handle references into proxies.
    Anything malformed raises :class:`WireError`, never another exception, so a crafted reply
    fails the student's test instead of looking like a bug in the grader.
    """
    counter = [0]
    try:
        return _decode(value, resolve, 0, counter)
    except WireError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. torch.device("nonsense") raises RuntimeError
        raise WireError(f"malformed value in reply ({type(exc).__name__}: {str(exc)[:200]})") from None


def check_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """Accept only ordinary dense tensors whose elements would fit in memory."""
    if tensor.layout is not torch.strided or tensor.is_quantized or tensor.is_nested:
        raise WireError(f"reply holds a tensor with layout {tensor.layout} (only ordinary dense tensors are accepted)")
    if tensor.device.type != "meta" and tensor.numel() * tensor.element_size() > MAX_TENSOR_BYTES:
        raise WireError(f"reply holds a tensor of shape {tuple(tensor.shape)}, more than "
                        f"{MAX_TENSOR_BYTES // 1024**2} MiB once its elements are counted")
    return tensor


def _decode(value: Any, resolve: Callable[[Ref], Any], depth: int, counter: list[int]) -> Any:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise WireError(f"reply holds more than {MAX_NODES:,} values")
    if depth > MAX_DEPTH:
        raise WireError(f"reply nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is torch.Tensor:
        return check_tensor(value)
    if kind is list:
        return [_decode(v, resolve, depth + 1, counter) for v in value]
    if kind is tuple:
        return tuple(_decode(v, resolve, depth + 1, counter) for v in value)
    if kind is dict:
        if TAG in value:
            return _decode_tag(value, resolve, depth, counter)
        if not all(type(k) in (str, int) for k in value):
            raise WireError("reply holds a dict with keys that are not str or int")
        return {k: _decode(v, resolve, depth + 1, counter) for k, v in value.items()}
    raise WireError(f"reply holds a value of type {kind.__name__}, which is not plain data")


def _decode_tag(value: dict, resolve: Callable[[Ref], Any], depth: int, counter: list[int]) -> Any:
    tag = value.get(TAG)

    def field(name: str, *types: type) -> Any:
        item = value.get(name)
        if type(item) not in types:
            raise WireError(f"malformed {tag!r} value in reply")
        return item

    if tag == "grad":
        tensor = check_tensor(field("t", torch.Tensor))
        # the grad history stays in the worker; the flag tells graders that it was there
        return tensor.requires_grad_(True) if tensor.is_floating_point() or tensor.is_complex() else tensor
    if tag == "ndarray":
        tensor = check_tensor(field("t", torch.Tensor))
        if tensor.device.type != "cpu":
            raise WireError("malformed ndarray in reply")
        return tensor.numpy()
    if tag == "npscalar":
        dtype = np.dtype(field("dtype", str))
        if dtype.kind not in "biufc":
            raise WireError(f"numpy scalar of dtype {dtype} in reply (only numbers are accepted)")
        return dtype.type(field("v", bool, int, float, complex))
    if tag == "dtype":
        name = field("v", str)
        dtype = getattr(torch, name, None)
        if type(dtype) is not torch.dtype:
            raise WireError(f"unknown dtype {name!r} in reply")
        return dtype
    if tag == "device":
        return torch.device(field("v", str))
    if tag == "size":
        dims = field("v", list)
        if not all(type(d) is int for d in dims):
            raise WireError("malformed torch.Size in reply")
        return torch.Size(dims)
    if tag == "ref":
        name = field("type", str)[:200].encode("utf-8", "backslashreplace").decode("utf-8")
        return resolve(Ref(field("id", int), name))
    if tag == "dict":
        pairs = field("items", list)
        out = {}
        for pair in pairs:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                raise WireError("malformed dict in reply")
            out[pair[0]] = _decode(pair[1], resolve, depth + 1, counter)
        return out
    raise WireError(f"unknown tag {tag!r} in reply")
