"""The codec across the trust boundary: length-prefixed frames of plain data, decoded without executing anything.

Both sides use this module. :func:`dumps` turns a message (``None``, bools, ints, floats,
complex numbers, strings, lists, tuples, dicts with str or int keys, dense tensors, numpy arrays
and scalars, dtypes, devices, sizes) into one frame; any other object goes through ``keep`` and
crosses as a numbered handle (:class:`Ref`). :func:`loads` rebuilds the message from the frame,
calling ``resolve`` for each handle. No pickle, no import, no constructor chosen by the frame:
the decoder reads a fixed grammar and checks every count, length, depth, shape, stride and
offset against the frame and the limits below *before* it allocates anything, so a decode costs
time linear in the frame and memory bounded by it. The worker-side encoder is a convenience,
never a defence (student code can replace it); every guarantee is made again by :func:`loads`.

A frame's payload (after the 8-byte big-endian length written by :func:`write_frame`)::

    head      magic b"TGW2", u32 storages, u32 tensors, u32 tree bytes
    storages  per storage: u64 bytes, u8 device kind (0 cpu, 1 cuda, 2 meta), u8 0, u16 device index
    tensors   per tensor: u32 storage, u8 dtype, u8 flags (1: requires_grad), u8 ndim, u8 0,
              u64 storage offset (elements), ndim x u64 sizes, ndim x u64 strides
    tree      the value, one opcode byte per node (see ``_Op``)
    data      the bytes of each cpu and cuda storage, in table order, back to back (meta storages have none)

Tensors that share a storage in the sender share one in the receiver (a view and its base, an
array and the tensor made from it, an argument and the result that aliases it).
"""

from __future__ import annotations

import os
import select
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

HEADER = struct.Struct(">Q")  # the length prefix of a frame
MAX_FRAME_BYTES = 256 * 1024 * 1024  # the most one reply may weigh; a huge storage view is refused
MAX_DEPTH = 64
MAX_NODES = 1_000_000
MAX_TENSORS = 10_000  # tensors (and storages) in one frame: each costs ~10 µs to rebuild, so a frame of many tiny
# tensors is refused at its header instead of keeping the grader busy (100,000 would take ~1 s)
MAX_DIMS = 64  # torch's own limit on dimensions
MAX_TEXT = 16 * 1024 * 1024  # characters in one string
MAX_INT_BYTES = 1024  # bytes of one arbitrary-size int (an 8,000-bit number)
# a decoded tensor may not stand for more memory than this: ``zeros(1).expand(10**12)`` weighs a
# few bytes on the wire but would exhaust the grader's memory the first time it is compared
MAX_TENSOR_BYTES = 1024**3
MAGIC = b"TGW2"

_HEAD = struct.Struct("<4sIII")
_STORAGE = struct.Struct("<QBBH")
_TENSOR = struct.Struct("<IBBBxQ")
_U32, _I64, _F64, _C128 = struct.Struct("<I"), struct.Struct("<q"), struct.Struct("<d"), struct.Struct("<dd")
_NO_STORAGE = 0xFFFFFFFF
_DEVICES = ("cpu", "cuda", "meta")
_REQUIRES_GRAD = 1

# tensor element types by their code on the wire; fixed order, so both sides agree (a name this torch lacks is None)
_DTYPE_NAMES = ("float32", "float64", "float16", "bfloat16", "complex64", "complex128", "uint8", "int8", "int16",
                "int32", "int64", "bool", "uint16", "uint32", "uint64", "complex32", "float8_e4m3fn", "float8_e5m2",
                "float8_e4m3fnuz", "float8_e5m2fnuz")
_DTYPES: tuple[torch.dtype | None, ...] = tuple(getattr(torch, name, None) for name in _DTYPE_NAMES)
_DTYPE_CODE = {dtype: code for code, dtype in enumerate(_DTYPES) if dtype is not None}
_ITEMSIZE = tuple(d.itemsize if d is not None else 0 for d in _DTYPES)
# numpy scalars that cross as such (numbers only: anything else stays in the worker behind a handle)
_NP_SCALARS = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
               "float32", "float64", "complex64", "complex128")
_NP_TYPES = tuple(np.dtype(name).type for name in _NP_SCALARS)
_NP_CODE = {kind: code for code, kind in enumerate(_NP_TYPES)}


class _Op:
    """One byte per node of the value tree."""

    NONE, TRUE, FALSE, INT, BIGINT, FLOAT, COMPLEX, STR = range(8)
    LIST, TUPLE, DICT = 8, 9, 10
    TENSOR, NDARRAY, NPSCALAR, DTYPE, DEVICE, SIZE, REF = 11, 12, 13, 14, 15, 16, 17


class WireError(Exception):
    """A frame that is not plain data of the expected form (too big, too deep, malformed or tampered with)."""


class TooLarge(WireError):
    """A value whose frame would exceed MAX_FRAME_BYTES (said by the sender, before it copies anything)."""

    def __init__(self, nbytes: int) -> None:
        super().__init__(f"the value is {nbytes:,} bytes once serialised, more than the limit of "
                         f"{MAX_FRAME_BYTES:,} bytes")
        self.nbytes = nbytes


@dataclass(frozen=True)
class Ref:
    """Reference to an object that lives in the worker, by its handle id."""

    id: int
    type_name: str = "object"


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
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_frame(fd: int, max_bytes: int = MAX_FRAME_BYTES, deadline: float | None = None) -> bytes:
    """Read one frame, refusing any that claims to be larger than ``max_bytes``."""
    (length,) = HEADER.unpack(read_exact(fd, HEADER.size, deadline))
    if length > max_bytes:
        raise WireError(f"reply of {length:,} bytes exceeds the limit of {max_bytes:,} bytes")
    return read_exact(fd, length, deadline)


# ---------------------------------------------------------------- encoding (either side)


def _refuse(obj: Any) -> Ref:
    raise TypeError(f"cannot send a {type(obj).__name__} over the wire")


def dumps(message: Any, keep: Callable[[Any], Ref] = _refuse) -> bytes:
    """Encode ``message`` as one frame's payload; objects that are not data go through ``keep`` to a :class:`Ref`.

    Raises :class:`WireError` for values nested deeper than MAX_DEPTH or holding more than
    MAX_NODES values or MAX_TENSORS tensors, and :class:`TooLarge` before copying any storage when
    the frame would exceed MAX_FRAME_BYTES.
    """
    return _Encoder(keep).frame(message)


class _Encoder:
    """One encoding pass: the tree, and the tables of tensors and storages it refers to."""

    def __init__(self, keep: Callable[[Any], Ref]) -> None:
        self.keep = keep
        self.out = bytearray()
        self.nodes = 0
        self.tensors: list[bytes] = []  # descriptors, in table order
        self.tensor_index: dict[int, tuple[int, torch.Tensor]] = {}  # id(tensor) -> index (and the tensor, alive)
        # storages by (device, address): ``torch.from_numpy`` makes a new storage object per call, so memory
        # shared by an array and a tensor is recognised by its address, and the largest object for it is sent
        self.storage_index: dict[tuple, int] = {}
        self.storages: list[torch.UntypedStorage] = []

    def frame(self, message: Any) -> bytes:
        self.value(message, 0)
        data_bytes = sum(s.nbytes() for s in self.storages if s.device.type != "meta")
        size = (_HEAD.size + _STORAGE.size * len(self.storages) + sum(map(len, self.tensors)) + len(self.out)
                + data_bytes)
        if size > MAX_FRAME_BYTES:
            raise TooLarge(size)
        parts: list[Any] = [_HEAD.pack(MAGIC, len(self.storages), len(self.tensors), len(self.out))]
        for storage in self.storages:
            device = storage.device
            parts.append(_STORAGE.pack(storage.nbytes(), _DEVICES.index(device.type), 0, device.index or 0))
        parts += self.tensors
        parts.append(self.out)
        for storage in self.storages:
            if storage.device.type != "meta" and storage.nbytes():
                cpu = storage if storage.device.type == "cpu" else storage.cpu()
                parts.append(torch.empty(0, dtype=torch.uint8).set_(cpu).numpy().data)
        return b"".join(parts)

    def value(self, value: Any, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise WireError(f"value holds more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise WireError(f"value nested deeper than {MAX_DEPTH} levels")
        out = self.out
        kind = type(value)
        if value is None:
            out.append(_Op.NONE)
        elif kind is bool:
            out.append(_Op.TRUE if value else _Op.FALSE)
        elif kind is int:
            if -(2**63) <= value < 2**63:
                out.append(_Op.INT)
                out += _I64.pack(value)
            else:
                raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
                if len(raw) > MAX_INT_BYTES:
                    raise WireError(f"an int of {value.bit_length():,} bits is too large to send")
                out.append(_Op.BIGINT)
                out += _U32.pack(len(raw)) + raw
        elif kind is float:
            out.append(_Op.FLOAT)
            out += _F64.pack(value)
        elif kind is complex:
            out.append(_Op.COMPLEX)
            out += _C128.pack(value.real, value.imag)
        elif kind is str:
            self.text(_Op.STR, value)
        elif kind is list or kind is tuple:
            out.append(_Op.LIST if kind is list else _Op.TUPLE)
            out += _U32.pack(len(value))
            for item in value:
                self.value(item, depth + 1)
        elif kind is dict and all(type(k) is str or type(k) is int for k in value):
            out.append(_Op.DICT)
            out += _U32.pack(len(value))
            for key, item in value.items():
                self.value(key, depth + 1)
                self.value(item, depth + 1)
        elif kind is torch.Tensor and self.tensor(_Op.TENSOR, value):
            pass
        elif kind is np.ndarray and self.array(value):
            pass
        elif kind in _NP_CODE:
            out += bytes((_Op.NPSCALAR, _NP_CODE[kind]))
            self.value(value.item(), depth + 1)
        elif kind is torch.dtype:
            self.text(_Op.DTYPE, str(value).removeprefix("torch."))
        elif kind is torch.device:
            self.text(_Op.DEVICE, str(value))
        elif kind is torch.Size:
            out.append(_Op.SIZE)
            out += _U32.pack(len(value)) + struct.pack(f"<{len(value)}q", *value)
        else:
            ref = value if kind is Ref else self.keep(value)
            if type(ref) is not Ref:
                raise TypeError("keep() must return a Ref")
            out.append(_Op.REF)
            out += _I64.pack(ref.id)
            self.text(None, ref.type_name[:200])

    def text(self, op: int | None, text: str) -> None:
        raw = text.encode("utf-8", "surrogatepass")  # lone surrogates (surrogateescape'd bytes) survive as they are
        if op is not None:
            self.out.append(op)
        self.out += _U32.pack(len(raw)) + raw

    def tensor(self, op: int, tensor: torch.Tensor) -> bool:
        """Append a tensor node; False when ``tensor`` cannot cross as data (it then goes behind a handle)."""
        known = self.tensor_index.get(id(tensor))
        if known is None:
            if (tensor.layout is not torch.strided or tensor.is_quantized or tensor.is_nested
                    or tensor.dtype not in _DTYPE_CODE or tensor.device.type not in _DEVICES):
                return False
            flags = _REQUIRES_GRAD if tensor.requires_grad else 0
            plain = tensor.detach()  # the grad history stays here; the flag says that it was there
            if plain.is_conj() or plain.is_neg():
                plain = plain.resolve_conj().resolve_neg()  # lazy conjugation is a bit, not bytes: apply it
            if len(self.tensors) >= MAX_TENSORS:
                raise WireError(f"value holds more than {MAX_TENSORS:,} tensors")
            descriptor = _TENSOR.pack(self.storage(plain), _DTYPE_CODE[plain.dtype], flags, plain.dim(),
                                      plain.storage_offset())
            shape = struct.pack(f"<{2 * plain.dim()}Q", *plain.shape, *plain.stride())
            known = (len(self.tensors), tensor)
            self.tensors.append(descriptor + shape)
            self.tensor_index[id(tensor)] = known
        self.out.append(op)
        self.out += _U32.pack(known[0])
        return True

    def storage(self, tensor: torch.Tensor) -> int:
        storage = tensor.untyped_storage()
        address = storage.data_ptr() if tensor.device.type != "meta" else 0
        key = (str(tensor.device), address) if address else ("unique", len(self.storages))
        index = self.storage_index.get(key)
        if index is None:
            index = self.storage_index[key] = len(self.storages)
            self.storages.append(storage)
        elif self.storages[index].nbytes() < storage.nbytes():
            self.storages[index] = storage  # same start, more memory: the larger object covers both
        return index

    def array(self, array: np.ndarray) -> bool:
        if array.dtype == object:
            return False
        try:
            tensor = torch.from_numpy(array)
        except (TypeError, ValueError, RuntimeError):  # negative strides, byte order, a dtype torch lacks
            return False
        return self.tensor(_Op.NDARRAY, tensor)


# ---------------------------------------------------------------- decoding (trusted side)


def _no_handles(ref: Ref) -> Any:
    raise WireError("a handle arrived where none was expected")


def loads(payload: bytes, resolve: Callable[[Ref], Any] = _no_handles) -> Any:
    """Decode one frame's payload; ``resolve`` turns handle references into proxies.

    Only the grammar above is read: every node becomes an exact built-in type, a dense tensor,
    a numpy array or scalar, a dtype, device or size, or what ``resolve`` returns. Anything
    malformed raises :class:`WireError`, never another exception, so a crafted reply fails the
    student's test instead of looking like a bug in the grader.
    """
    try:
        return _Decoder(memoryview(payload), resolve).frame()
    except WireError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. torch.device("nonsense") raises RuntimeError
        raise WireError(f"malformed frame ({type(exc).__name__}: {str(exc)[:200]})") from None


class _Decoder:
    """One decoding pass over a frame: tables first (checked whole), then the tree."""

    def __init__(self, data: memoryview, resolve: Callable[[Ref], Any]) -> None:
        self.data, self.resolve = data, resolve
        self.pos = 0
        self.nodes = 0
        self.tensors: list[torch.Tensor] = []

    def need(self, n: int, what: str) -> int:
        """Claim the next ``n`` bytes; where they start."""
        start = self.pos
        if n < 0 or start + n > self.tree_end:
            raise WireError(f"frame ends inside {what}")
        self.pos = start + n
        return start

    def frame(self) -> Any:
        data = self.data
        if len(data) < _HEAD.size:
            raise WireError("frame too short to hold a header")
        magic, n_storages, n_tensors, tree_bytes = _HEAD.unpack_from(data, 0)
        if magic != MAGIC:
            raise WireError("not a tensorgrade frame (wrong magic)")
        if n_tensors > MAX_TENSORS or n_storages > MAX_TENSORS:
            raise WireError(f"frame holds {max(n_tensors, n_storages):,} tensors, more than the limit of "
                            f"{MAX_TENSORS:,}")
        # every entry has a fixed minimum size: counts that the frame cannot hold are refused before any loop
        tables = _STORAGE.size * n_storages + _TENSOR.size * n_tensors
        if _HEAD.size + tables + tree_bytes > len(data):
            raise WireError("frame is shorter than its header says")
        self.pos, self.tree_end = _HEAD.size, len(data)
        storage_entries = [_STORAGE.unpack_from(data, _HEAD.size + i * _STORAGE.size) for i in range(n_storages)]
        for nbytes, device_kind, pad, _ in storage_entries:
            if device_kind >= len(_DEVICES) or pad or nbytes >= 2**62:
                raise WireError("malformed storage entry")
        self.pos = _HEAD.size + _STORAGE.size * n_storages
        descriptors = [self.descriptor(storage_entries) for _ in range(n_tensors)]
        tree_start = self.pos
        data_start = tree_start + tree_bytes
        if data_start > len(data):
            raise WireError("frame is shorter than its header says")
        # storages lie back to back after the tree: none overlaps another, and together they fill the frame exactly
        data_bytes = sum(entry[0] for entry in storage_entries if entry[1] != 2)
        if data_start + data_bytes != len(data):
            raise WireError(f"frame holds {len(data) - data_start:,} bytes of tensor data where its header says "
                            f"{data_bytes:,}")
        storages = self.storages(storage_entries, data_start)
        for index in {d[0] for d in descriptors if _DTYPES[d[1]] is torch.bool}:
            # a bool stored as 2..255 is neither True nor False to torch's kernels: only 0 and 1 are bools
            raw = torch.empty(0, dtype=torch.uint8, device=storages[index].device).set_(storages[index])
            if raw.numel() and raw.device.type != "meta" and int(raw.max()) > 1:
                raise WireError("bool tensor holding bytes other than 0 and 1")
        self.tensors = [self.build(storages[s], *rest) for s, *rest in descriptors]
        self.pos, self.tree_end = tree_start, data_start
        value = self.value(0)
        if self.pos != data_start:
            raise WireError("frame holds bytes after its value")
        return value

    def descriptor(self, storage_entries: list[tuple]) -> tuple:
        """Read and check one tensor descriptor against its storage; allocates nothing."""
        start = self.need(_TENSOR.size, "a tensor descriptor")
        storage, code, flags, ndim, offset = _TENSOR.unpack_from(self.data, start)
        if storage >= len(storage_entries):
            raise WireError(f"tensor refers to storage {storage}, which the frame does not hold")
        if code >= len(_DTYPES) or _DTYPES[code] is None:
            raise WireError(f"tensor of unknown dtype code {code}")
        if flags & ~_REQUIRES_GRAD:
            raise WireError("tensor with unknown flags")
        if ndim > MAX_DIMS:
            raise WireError(f"tensor of {ndim} dimensions (at most {MAX_DIMS})")
        dims = struct.unpack_from(f"<{2 * ndim}Q", self.data, self.need(16 * ndim, "a tensor shape"))
        shape, strides = dims[:ndim], dims[ndim:]
        if offset >= 2**62 or any(d >= 2**62 for d in dims):
            raise WireError("tensor with a size, stride or offset too large for any machine")
        nbytes, device_kind, _, _ = storage_entries[storage]
        itemsize = _ITEMSIZE[code]
        numel = 1
        extent = offset  # the last element's index in the storage, in elements
        for size, stride in zip(shape, strides):
            numel *= size
            extent += (size - 1) * stride
        # an empty tensor reads no element: its offset may lie anywhere (x[2:, 1:] of a 2x3 tensor sits at 7)
        if numel and (extent + 1) * itemsize > nbytes:
            raise WireError(f"tensor of shape {tuple(shape)} and strides {tuple(strides)} at offset {offset} "
                            f"reaches past its storage of {nbytes:,} bytes")
        if device_kind != 2 and numel * itemsize > MAX_TENSOR_BYTES:
            raise WireError(f"reply holds a tensor of shape {tuple(shape)}, more than "
                            f"{MAX_TENSOR_BYTES // 1024**2} MiB once its elements are counted")
        return storage, code, flags, shape, strides, offset

    def storages(self, entries: list[tuple], start: int) -> list[torch.UntypedStorage]:
        out = []
        cuda_count = None
        for nbytes, device_kind, _, index in entries:
            if device_kind == 2:
                out.append(torch.empty(nbytes, dtype=torch.uint8, device="meta").untyped_storage())
                continue
            if nbytes:
                # a copy of its own: a small result must not keep the whole frame alive
                buffer = torch.frombuffer(bytearray(self.data[start:start + nbytes]), dtype=torch.uint8)
            else:
                buffer = torch.empty(0, dtype=torch.uint8)
            start += nbytes
            if device_kind == 1:
                if cuda_count is None:
                    cuda_count = torch.cuda.device_count() if torch.cuda.is_available() else 0
                if index >= cuda_count:
                    raise WireError(f"tensor on cuda:{index}, which this machine does not have")
                buffer = buffer.to(f"cuda:{index}")
            out.append(buffer.untyped_storage())
        return out

    def build(self, storage: torch.UntypedStorage, code: int, flags: int, shape: tuple, strides: tuple,
              offset: int) -> torch.Tensor:
        dtype = _DTYPES[code]
        tensor = torch.empty(0, dtype=dtype, device=storage.device).set_(storage, offset, shape, strides)
        if flags & _REQUIRES_GRAD and (tensor.is_floating_point() or tensor.is_complex()):
            tensor.requires_grad_(True)
        return tensor

    def length(self, what: str, per_item: int = 1) -> int:
        """A u32 count, checked against what is left of the tree (each item takes ``per_item`` bytes or more)."""
        (count,) = _U32.unpack_from(self.data, self.need(4, what))
        if count * per_item > self.tree_end - self.pos:
            raise WireError(f"{what} of {count:,} items is longer than the frame")
        return count

    def text(self, what: str) -> str:
        n = self.length(what)
        if n > 4 * MAX_TEXT:
            raise WireError(f"{what} longer than {MAX_TEXT:,} characters")
        start = self.need(n, what)
        return str(self.data[start:start + n], "utf-8", "surrogatepass")

    def tensor_ref(self) -> torch.Tensor:
        (index,) = _U32.unpack_from(self.data, self.need(4, "a tensor"))
        if index >= len(self.tensors):
            raise WireError(f"tensor {index} is not in the frame")
        return self.tensors[index]

    def value(self, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise WireError(f"reply holds more than {MAX_NODES:,} values")
        if depth > MAX_DEPTH:
            raise WireError(f"reply nested deeper than {MAX_DEPTH} levels")
        data = self.data
        op = data[self.need(1, "a value")]
        if op == _Op.NONE:
            return None
        if op == _Op.TRUE:
            return True
        if op == _Op.FALSE:
            return False
        if op == _Op.INT:
            return _I64.unpack_from(data, self.need(8, "an int"))[0]
        if op == _Op.FLOAT:
            return _F64.unpack_from(data, self.need(8, "a float"))[0]
        if op == _Op.STR:
            return self.text("a string")
        if op == _Op.LIST or op == _Op.TUPLE:
            items = [self.value(depth + 1) for _ in range(self.length("a list"))]
            return items if op == _Op.LIST else tuple(items)
        if op == _Op.DICT:
            out = {}
            for _ in range(self.length("a dict", 2)):
                key = self.value(depth + 1)
                if type(key) is not str and type(key) is not int:
                    raise WireError("reply holds a dict with keys that are not str or int")
                out[key] = self.value(depth + 1)
            return out
        if op == _Op.TENSOR:
            return self.tensor_ref()
        if op == _Op.NDARRAY:
            tensor = self.tensor_ref()
            if tensor.device.type != "cpu" or tensor.requires_grad or tensor.dtype not in _NUMPY_DTYPES:
                raise WireError("malformed ndarray in reply")
            return tensor.numpy()
        if op == _Op.COMPLEX:
            real, imag = _C128.unpack_from(data, self.need(16, "a complex number"))
            return complex(real, imag)
        if op == _Op.BIGINT:
            n = self.length("an int")
            if n > MAX_INT_BYTES:
                raise WireError("an int too large for the grader")
            start = self.need(n, "an int")
            return int.from_bytes(data[start:start + n], "little", signed=True)
        if op == _Op.NPSCALAR:
            code = data[self.need(1, "a numpy scalar")]
            if code >= len(_NP_TYPES):
                raise WireError(f"numpy scalar of unknown type code {code}")
            item = self.value(depth + 1)
            if type(item) not in (bool, int, float, complex):
                raise WireError("numpy scalar holding something that is not a number")
            try:  # a crafted frame may pair any number with any type code: 2**100 as int8, 1+2j as int64
                with np.errstate(over="ignore"):  # 1e300 as float16 is inf, as numpy itself would make it
                    return _NP_TYPES[code](item)
            except (OverflowError, TypeError, ValueError):
                raise WireError(f"numpy scalar that does not fit its type {_NP_TYPES[code].__name__}") from None
        if op == _Op.DTYPE:
            name = self.text("a dtype")
            dtype = getattr(torch, name, None)
            if type(dtype) is not torch.dtype:
                raise WireError(f"unknown dtype {name[:100]!r} in reply")
            return dtype
        if op == _Op.DEVICE:
            name = self.text("a device")
            if len(name) > 100:
                raise WireError("malformed device in reply")
            return torch.device(name)
        if op == _Op.SIZE:
            n = self.length("a size", 8)
            if n > MAX_DIMS:
                raise WireError("torch.Size with too many dimensions")
            return torch.Size(struct.unpack_from(f"<{n}q", data, self.need(8 * n, "a size")))
        if op == _Op.REF:
            (handle,) = _I64.unpack_from(data, self.need(8, "a handle"))
            name = self.text("a type name")[:200].encode("utf-8", "backslashreplace").decode("utf-8")
            return self.resolve(Ref(handle, name))
        raise WireError(f"unknown opcode {op} in reply")


_NUMPY_DTYPES = {torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
                 torch.float32, torch.float64, torch.complex64, torch.complex128}
_NUMPY_DTYPES |= {getattr(torch, name) for name in ("uint16", "uint32", "uint64") if hasattr(torch, name)}
