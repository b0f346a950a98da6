"""The wire: plain data crosses, storage sharing survives, anything else is refused or kept behind a handle."""

from __future__ import annotations

import io
import os
import pickle
import struct
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import wire


def roundtrip(value, kept=None):
    kept = kept if kept is not None else []

    def keep(obj):
        kept.append(obj)
        return wire.Ref(len(kept), type(obj).__qualname__)

    return wire.loads(wire.dumps(value, keep), lambda ref: ("handle", ref.id, ref.type_name))


def frame(storages=(), tensors=(), tree=b"\x00", data=b""):
    """A payload built by hand: storages as (nbytes, device kind, index), tensors as (storage, dtype code, flags,
    offset, shape, strides)."""
    head = wire._HEAD.pack(wire.MAGIC, len(storages), len(tensors), len(tree))
    table = b"".join(wire._STORAGE.pack(n, kind, 0, index) for n, kind, index in storages)
    for storage, code, flags, offset, shape, strides in tensors:
        table += wire._TENSOR.pack(storage, code, flags, len(shape), offset)
        table += struct.pack(f"<{2 * len(shape)}Q", *shape, *strides)
    return head + table + tree + data


FLOAT32 = wire._DTYPE_CODE[torch.float32]
TENSOR0 = bytes([wire._Op.TENSOR]) + struct.pack("<I", 0)


def test_plain_values_come_back_with_exact_types():
    value = {"i": 3, "f": 2.5, "b": True, "s": "x", "n": None, "c": 1j, "l": [1, (2, 3)], "t": (4,), 7: "int key",
             "big": 2**200, "neg": -(2**70), "sur": "a\udcff"}
    assert roundtrip(value) == value
    out = roundtrip(value)
    assert type(out["b"]) is bool and type(out["t"]) is tuple and type(out["l"][1]) is tuple
    assert type(out["i"]) is int and type(out["c"]) is complex


def test_storage_sharing_between_tensors_of_one_message_survives():
    x = torch.arange(12.0).reshape(3, 4)
    a, row, col, copy = roundtrip((x, x[1], x[:, 2], x.clone()))
    ptr = a.untyped_storage().data_ptr()
    assert row.untyped_storage().data_ptr() == ptr and col.untyped_storage().data_ptr() == ptr
    assert copy.untyped_storage().data_ptr() != ptr
    assert row.storage_offset() == 4 and col.stride() == (4,)
    row[0] = -1.0  # one memory, as in the sender
    assert a[1, 0] == -1.0
    assert torch.equal(copy, x)


def test_the_same_tensor_twice_is_one_object():
    x = torch.ones(3)
    a, b = roundtrip([x, x])
    assert a is b


def test_views_of_other_dtypes_share_the_bytes():
    x = torch.arange(4, dtype=torch.int32)
    a, b = roundtrip((x, x.view(torch.uint8)))
    assert a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr() and b.shape == (16,)


def test_numpy_array_and_tensor_sharing_memory_stay_shared():
    arr = np.arange(6.0)
    back_arr, back_t = roundtrip((arr, torch.from_numpy(arr)))
    assert type(back_arr) is np.ndarray and np.shares_memory(back_arr, back_t.numpy())
    back_arr, back_t = roundtrip((arr, torch.tensor(arr)))
    assert not np.shares_memory(back_arr, back_t.numpy())


def test_tags_for_dtypes_devices_sizes_and_numpy_scalars():
    out = roundtrip([torch.float16, torch.device("cpu"), torch.Size([2, 3]), np.float32(1.5), np.int64(-3),
                     np.bool_(True), np.complex128(1 + 2j)])
    assert out[0] is torch.float16 and out[1] == torch.device("cpu") and out[2] == torch.Size([2, 3])
    assert type(out[3]) is np.float32 and out[3] == 1.5
    assert type(out[4]) is np.int64 and type(out[5]) is np.bool_ and type(out[6]) is np.complex128


def test_meta_tensors_keep_shape_and_dtype():
    out = roundtrip(torch.empty(5, 2, dtype=torch.float64, device="meta"))
    assert out.device.type == "meta" and out.shape == (5, 2) and out.dtype == torch.float64


def test_requires_grad_is_reported_without_the_graph():
    x = torch.ones(3, requires_grad=True)
    out = roundtrip(x * 2)
    assert out.requires_grad and out.grad_fn is None and out.tolist() == [2.0, 2.0, 2.0]


def test_lazy_conjugates_and_odd_layouts_of_memory():
    z = torch.tensor([1 + 2j, 3 - 1j])
    assert roundtrip(z.conj()).tolist() == [1 - 2j, 3 + 1j]
    x = torch.arange(6.0).reshape(2, 3)
    back = roundtrip(x.t())
    assert back.stride() == (1, 3) and torch.equal(back, x.t())
    assert roundtrip(torch.zeros(1).expand(5)).stride() == (0,)
    assert roundtrip(torch.empty(0, 3)).shape == (0, 3)
    empty = torch.arange(6).reshape(2, 3)[2:, 1:]  # its offset (7) lies past the end of its storage
    assert roundtrip(empty).shape == (0, 2) and roundtrip(empty).storage_offset() == 7
    assert roundtrip(torch.tensor([True, False])).tolist() == [True, False]


def test_objects_that_are_not_data_stay_behind_a_handle():
    kept = []
    out = roundtrip({"model": torch.nn.Linear(2, 3), "gen": (i for i in range(3)), "set": {1, 2}, "b": b"x"}, kept)
    assert out["model"] == ("handle", 1, "Linear") and out["gen"][0] == "handle" and out["set"][0] == "handle"
    assert isinstance(kept[0], torch.nn.Linear)


def test_tensor_subclasses_parameters_and_sparse_tensors_do_not_pass_as_tensors():
    class Sub(torch.Tensor):
        pass

    out = roundtrip([torch.zeros(2).as_subclass(Sub), torch.nn.Parameter(torch.zeros(2)), torch.eye(2).to_sparse()])
    assert [o[0] for o in out] == ["handle"] * 3


def test_a_student_dict_that_looks_like_a_tag_stays_a_dict():
    value = {"__tg__": "ref", "id": 99, "type": "x"}
    assert roundtrip(value) == value


def test_pickles_and_torch_archives_are_refused_without_running_anything(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    buffer = io.BytesIO()
    torch.save({"ok": True, "value": Evil()}, buffer, pickle_module=pickle)
    for payload in (buffer.getvalue(), pickle.dumps(Evil()), b'{"ok": true}'):
        with pytest.raises(wire.WireError, match="magic|too short"):
            wire.loads(payload)
    assert not marker.exists()


def test_depth_nodes_and_handles_are_bounded_on_both_sides():
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError, match="deeper"):
        wire.dumps(deep)
    # written by hand, past the encoder: the decoder bounds depth itself
    raw = frame(tree=bytes([wire._Op.LIST, 1, 0, 0, 0]) * (wire.MAX_DEPTH + 5) + bytes([wire._Op.NONE]))
    with pytest.raises(wire.WireError, match="deeper"):
        wire.loads(raw)
    with pytest.raises(wire.WireError, match="handle"):
        wire.loads(wire.dumps(object(), lambda obj: wire.Ref(1)))  # no resolve: no handles accepted


def test_counts_larger_than_the_frame_are_refused_before_allocating():
    tracemalloc.start()
    try:
        for raw in (frame(tree=bytes([wire._Op.LIST]) + struct.pack("<I", 2**32 - 1)),
                    frame(tree=bytes([wire._Op.STR]) + struct.pack("<I", 2**32 - 1)),
                    frame(tree=bytes([wire._Op.DICT]) + struct.pack("<I", 2**31)),
                    wire._HEAD.pack(wire.MAGIC, 2**32 - 1, 2**32 - 1, 0),
                    wire._HEAD.pack(wire.MAGIC, 1000, 1000, 0)):
            with pytest.raises(wire.WireError):
                wire.loads(raw)
        assert tracemalloc.get_traced_memory()[1] < 1_000_000
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("storages,tensors,data,says", [
    ([(16, 0, 0)], [(0, FLOAT32, 0, 1, (4,), (1,))], b"\0" * 16, "past its storage"),  # offset pushes it out
    ([(16, 0, 0)], [(0, FLOAT32, 0, 0, (2, 3), (3, 1))], b"\0" * 16, "past its storage"),
    ([(4, 0, 0)], [(0, FLOAT32, 0, 0, (10**12,), (0,))], b"\0" * 4, "MiB once"),  # stride 0: tiny frame, huge tensor
    ([(4, 0, 0)], [(1, FLOAT32, 0, 0, (1,), (1,))], b"\0" * 4, "storage 1"),
    ([(4, 0, 0)], [(0, 250, 0, 0, (1,), (1,))], b"\0" * 4, "dtype code"),
    ([(4, 0, 0)], [(0, FLOAT32, 8, 0, (1,), (1,))], b"\0" * 4, "flags"),
    ([(4, 0, 0)], [(0, FLOAT32, 0, 0, (1,), (1,))], b"\0" * 8, "tensor data"),  # data that no storage claims
    ([(8, 0, 0)], [(0, FLOAT32, 0, 0, (1,), (1,))], b"\0" * 4, "tensor data"),  # a storage the frame lacks
    ([(4, 7, 0)], [(0, FLOAT32, 0, 0, (1,), (1,))], b"\0" * 4, "storage entry"),
    ([(4, 1, 9)], [(0, FLOAT32, 0, 0, (1,), (1,))], b"\0" * 4, "cuda:9"),
    ([(2, 0, 0)], [(0, wire._DTYPE_CODE[torch.bool], 0, 0, (2,), (1,))], b"\x01\x07", "other than 0 and 1"),
    ([(4, 0, 0)], [(0, FLOAT32, 0, 0, (2**63,), (1,))], b"\0" * 4, "too large"),
])
def test_descriptors_are_checked_against_their_storage(storages, tensors, data, says):
    with pytest.raises(wire.WireError, match=says):
        wire.loads(frame(storages, tensors, TENSOR0, data))


def test_a_hand_written_frame_decodes_to_what_it_says():
    data = struct.pack("<4f", 1, 2, 3, 4)
    out = wire.loads(frame([(16, 0, 0)], [(0, FLOAT32, 1, 1, (3,), (1,))], TENSOR0, data))
    assert out.tolist() == [2.0, 3.0, 4.0] and out.requires_grad and out.storage_offset() == 1


def test_a_numpy_scalar_that_does_not_fit_its_type_code_is_refused():
    def tree_of(value):  # the value tree of a message without tensors: everything after the header
        return wire.dumps(value, lambda obj: obj)[wire._HEAD.size:]

    for kind, item in ((np.int8, 2**100), (np.uint8, -1), (np.int64, 1e300), (np.int64, 1 + 2j), (np.int8, 2**70)):
        tree = bytes((wire._Op.NPSCALAR, wire._NP_CODE[kind])) + tree_of(item)
        with pytest.raises(wire.WireError, match="does not fit"):
            wire.loads(frame(tree=tree))
    # what numpy makes of it without complaint stays as numpy makes it
    tree = bytes((wire._Op.NPSCALAR, wire._NP_CODE[np.float16])) + tree_of(1e300)
    assert np.isinf(wire.loads(frame(tree=tree))) and type(wire.loads(frame(tree=tree))) is np.float16


def test_a_reply_too_large_is_said_by_the_sender_before_it_copies():
    big = torch.zeros(wire.MAX_FRAME_BYTES // 4 + 1)
    with pytest.raises(wire.TooLarge) as refused:
        wire.dumps(big[:1])
    assert refused.value.nbytes > wire.MAX_FRAME_BYTES


def test_frames_larger_than_the_limit_are_refused_before_reading():
    r, w = os.pipe()
    os.write(w, wire.HEADER.pack(10**12))
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        wire.read_frame(r)
    os.close(r)
    os.close(w)


def test_many_tiny_tensors_within_the_limit_decode_and_beyond_it_are_refused():
    many = [torch.tensor([float(i)]) for i in range(1000)]
    assert [t.item() for t in roundtrip(many)] == list(range(1000))
    with pytest.raises(wire.WireError, match="tensors"):
        wire.dumps([torch.zeros(1)] * 2 + [torch.zeros(1) for _ in range(wire.MAX_TENSORS)])
    raw = wire._HEAD.pack(wire.MAGIC, 1, wire.MAX_TENSORS + 1, 1) + b"\0" * 64
    with pytest.raises(wire.WireError, match="limit"):
        wire.loads(raw)


# ---------------------------------------------------------------- fuzzing: only WireError ever comes out

SAMPLES = [
    {"ok": True, "value": [1, 2.5, "x", None, (True, 1j)], "seq": 3},
    {"ok": True, "value": {"a": torch.arange(6.0).reshape(2, 3), "b": np.arange(3)}, "args": (torch.ones(2),)},
    [torch.empty(2, 2, device="meta"), torch.float64, torch.device("cpu"), torch.Size([1, 2]), np.float32(2.0)],
    (torch.arange(8, dtype=torch.int16)[::2], torch.tensor([True]), wire.Ref(5, "Linear"), 2**100),
]
VALID = [wire.dumps(sample, lambda obj: obj) for sample in SAMPLES]


def decode_or_refuse(payload: bytes) -> None:
    try:
        wire.loads(payload, lambda ref: ref)
    except wire.WireError:
        pass


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=512))
def test_fuzz_random_bytes(payload):
    decode_or_refuse(payload)
    decode_or_refuse(wire.MAGIC + payload)


@FUZZ
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                                        max_size=8))
def test_fuzz_mutated_valid_frames(payload, edits):
    mutated = bytearray(payload)
    for where, byte in edits:
        mutated[where % len(mutated)] = byte
    decode_or_refuse(bytes(mutated))


@FUZZ
@given(st.sampled_from(VALID), st.integers(0, 10**6), st.sampled_from([0, 1, 2**31, 2**32 - 1, 2**62, 2**64 - 1]),
       st.sampled_from(["<I", "<Q"]))
def test_fuzz_huge_counts_written_into_valid_frames(payload, where, count, fmt):
    mutated = bytearray(payload)
    where %= max(1, len(mutated) - struct.calcsize(fmt))
    struct.pack_into(fmt, mutated, where, count % 2 ** (8 * struct.calcsize(fmt)))
    decode_or_refuse(bytes(mutated))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 64), st.sampled_from([0, 2])), min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 5), st.integers(0, 19), st.integers(0, 1), st.integers(0, 40),
                          st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=3)),
                min_size=1, max_size=4),
       st.integers(0, 8))
def test_fuzz_overlapping_and_out_of_bounds_descriptors(storages, tensors, extra):
    entries = [(n, kind, 0) for n, kind in storages]
    descriptors = [(s, code, flags, offset, tuple(d[0] for d in dims), tuple(d[1] for d in dims))
                   for s, code, flags, offset, dims in tensors]
    data = b"\x01" * (sum(n for n, kind, _ in entries if kind != 2) + extra - 4)
    tree = bytes([wire._Op.LIST]) + struct.pack("<I", len(descriptors))
    tree += b"".join(bytes([wire._Op.TENSOR]) + struct.pack("<I", i) for i in range(len(descriptors)))
    try:
        values = wire.loads(frame(entries, descriptors, tree, data))
    except wire.WireError:
        return
    for value in values:  # what is accepted lies inside its storage: reading every element is safe
        if value.device.type == "cpu":
            value.clone()
