"""The wire: plain data crosses, storage sharing survives, anything else is refused or kept behind a handle."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
import torch

from autograder import wire


def roundtrip(value, kept=None):
    kept = kept if kept is not None else []

    def keep(obj):
        kept.append(obj)
        return wire.Ref(len(kept), type(obj).__qualname__)

    encoded = wire.encode(value, keep)
    return wire.decode(wire.loads(wire.dumps(encoded)), lambda ref: ("handle", ref.id, ref.type_name))


def test_plain_values_come_back_with_exact_types():
    value = {"i": 3, "f": 2.5, "b": True, "s": "x", "n": None, "c": 1j, "l": [1, (2, 3)], "t": (4,)}
    assert roundtrip(value) == value
    out = roundtrip(value)
    assert type(out["b"]) is bool and type(out["t"]) is tuple and type(out["l"][1]) is tuple


def test_storage_sharing_between_tensors_of_one_message_survives():
    x = torch.arange(12.0).reshape(3, 4)
    a, row, col, copy = roundtrip((x, x[1], x[:, 2], x.clone()))
    ptr = a.untyped_storage().data_ptr()
    assert row.untyped_storage().data_ptr() == ptr and col.untyped_storage().data_ptr() == ptr
    assert copy.untyped_storage().data_ptr() != ptr
    assert row.storage_offset() == 4 and col.stride() == (4,)


def test_numpy_array_and_tensor_sharing_memory_stay_shared():
    arr = np.arange(6.0)
    back_arr, back_t = roundtrip((arr, torch.from_numpy(arr)))
    assert type(back_arr) is np.ndarray and np.shares_memory(back_arr, back_t.numpy())
    back_arr, back_t = roundtrip((arr, torch.tensor(arr)))
    assert not np.shares_memory(back_arr, back_t.numpy())


def test_tags_for_dtypes_devices_sizes_and_numpy_scalars():
    out = roundtrip([torch.float16, torch.device("cpu"), torch.Size([2, 3]), np.float32(1.5)])
    assert out[0] is torch.float16 and out[1] == torch.device("cpu") and out[2] == torch.Size([2, 3])
    assert type(out[3]) is np.float32 and out[3] == 1.5


def test_meta_tensors_keep_shape_and_dtype():
    out = roundtrip(torch.empty(5, 2, dtype=torch.float64, device="meta"))
    assert out.device.type == "meta" and out.shape == (5, 2) and out.dtype == torch.float64


def test_requires_grad_is_reported_without_the_graph():
    x = torch.ones(3, requires_grad=True)
    out = roundtrip(x * 2)
    assert out.requires_grad and out.grad_fn is None


def test_objects_that_are_not_data_stay_behind_a_handle():
    kept = []
    out = roundtrip({"model": torch.nn.Linear(2, 3), "gen": (i for i in range(3))}, kept)
    assert out["model"] == ("handle", 1, "Linear") and out["gen"][0] == "handle"
    assert isinstance(kept[0], torch.nn.Linear)


def test_tensor_subclasses_and_parameters_do_not_pass_as_tensors():
    class Sub(torch.Tensor):
        pass

    out = roundtrip([torch.zeros(2).as_subclass(Sub), torch.nn.Parameter(torch.zeros(2))])
    assert out[0][0] == "handle" and out[1][0] == "handle"


def test_a_student_dict_that_looks_like_a_tag_stays_a_dict():
    value = {wire.TAG: "ref", "id": 99, "type": "x"}
    assert roundtrip(value) == value


def test_safe_loader_refuses_pickled_code():
    class Evil:
        def __reduce__(self):
            return (eval, ("1 + 1",))

    buffer = io.BytesIO()
    torch.save({"ok": True, "value": Evil()}, buffer, pickle_module=pickle)
    with pytest.raises(wire.WireError, match="safe loader"):
        wire.loads(buffer.getvalue())


def test_decode_refuses_unexpected_types_and_depth():
    with pytest.raises(wire.WireError, match="not plain data"):
        wire.decode({1.5, 2.5}, lambda ref: None)
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError, match="deeper"):
        wire.decode(deep, lambda ref: None)


def test_frames_larger_than_the_limit_are_refused_before_reading():
    import os

    r, w = os.pipe()
    os.write(w, wire.HEADER.pack(10**12))
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        wire.read_frame(r)
    os.close(r)
    os.close(w)
