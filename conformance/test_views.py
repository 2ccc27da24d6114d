"""Views versus copies, checked through shared writes.

For each op the same operation on a NumPy array is the reference: NumPy's
basic slicing, ``transpose``, ``reshape`` of a contiguous array and
``broadcast_to`` return views; ``reshape`` of a non-contiguous array, fancy
indexing and ``take`` return copies. Each table row also asserts that NumPy
aliases (or copies) as the row says, so the table cannot drift from its
oracle. Then a write into the input must show in a view and not in a copy,
and a write into a view must show in the input exactly where NumPy's does.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from torchconform import index_strategies as ix
from torchconform.oracle import assert_matches
from torchconform.strategies import shapes

pytestmark = pytest.mark.area("views")


def row(name, torch_fn, numpy_fn, *, base="contiguous", writable=True):
    return pytest.param(torch_fn, numpy_fn, base, writable, id=name)


ALIASING = [
    row("view", lambda t: t.view(4, 6), lambda a: a.reshape(4, 6)),
    row("view-minus-one", lambda t: t.view(-1), lambda a: a.reshape(-1)),
    row("reshape-of-contiguous", lambda t: t.reshape(6, 4), lambda a: a.reshape(6, 4)),
    row("transpose", lambda t: t.transpose(0, 2), lambda a: a.swapaxes(0, 2)),
    row("t", lambda t: t[0].t(), lambda a: a[0].T),
    row("permute", lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    row("slice-with-step", lambda t: t[:, 1:, ::2], lambda a: a[:, 1:, ::2]),
    row("integer-index", lambda t: t[1, -1], lambda a: a[1, -1]),
    row("narrow", lambda t: t.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    row("unsqueeze", lambda t: t.unsqueeze(-1), lambda a: a[..., None]),
    row("squeeze", lambda t: t[:1].squeeze(0), lambda a: a[:1].squeeze(0)),
    row("flatten-of-contiguous", lambda t: t.flatten(), lambda a: a.reshape(-1)),
    row("chunk-piece", lambda t: t.chunk(2, dim=2)[1], lambda a: np.array_split(a, 2, axis=2)[1]),
    row("split-piece", lambda t: t.split([1, 2], dim=1)[1], lambda a: np.split(a, [1], axis=1)[1]),
    # einsum's diagonal is a writable view; ndarray.diagonal is read-only.
    row("diagonal", lambda t: t[..., :3].diagonal(dim1=1, dim2=2), lambda a: np.einsum("ijj->ij", a[..., :3])),
    # Writing through a stride-0 view is refused (several elements share a
    # cell), so expand is only read through.
    row("expand", lambda t: t[:, :1].expand(2, 5, 4), lambda a: np.broadcast_to(a[:, :1], (2, 5, 4)),
        writable=False),
]

COPYING = [
    row("reshape-of-transposed", lambda t: t.reshape(-1), lambda a: a.reshape(-1), base="transposed"),
    row("flatten-of-transposed", lambda t: t.flatten(), lambda a: a.reshape(-1), base="transposed"),
    row("contiguous-of-transposed", lambda t: t.contiguous(), lambda a: np.ascontiguousarray(a), base="transposed"),
    row("index-select", lambda t: t.index_select(1, torch.tensor([2, 0], device=t.device)),
        lambda a: np.take(a, [2, 0], axis=1)),
    row("integer-array-index", lambda t: t[[0, 1], [2, 0]], lambda a: a[[0, 1], [2, 0]]),
    row("boolean-mask", lambda t: t[t > 5], lambda a: a[a > 5]),
    row("masked-select", lambda t: torch.masked_select(t, t > 5), lambda a: a[a > 5]),
    row("clone", lambda t: t.clone(), lambda a: a.copy()),
]


def make_base(device, layout):
    """A (2, 3, 4) float64 tensor of distinct values 0..23, and its NumPy twin
    in the same layout (transposed: a permuted view of a (4, 3, 2) array)."""
    values = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    if layout == "transposed":
        storage = np.ascontiguousarray(values.transpose(2, 1, 0))
        return torch.from_numpy(storage.copy()).to(device).permute(2, 1, 0), storage.transpose(2, 1, 0)
    return torch.from_numpy(values.copy()).to(device), values


@pytest.mark.capability("aliasing")
@pytest.mark.parametrize("torch_fn, numpy_fn, base, writable", ALIASING)
def test_view_ops_alias_their_input(torch_fn, numpy_fn, base, writable, device):
    t, a = make_base(device, base)
    view, a_view = torch_fn(t), numpy_fn(a)
    assert np.shares_memory(a_view, a), "table error: NumPy copies here, so it cannot be the oracle of a view"
    assert view.untyped_storage().data_ptr() == t.untyped_storage().data_ptr(), "result does not share storage"
    t.add_(100)
    a += 100
    assert_matches(view, a_view, torch.float64, what="view after a write into its input")
    if writable:
        view.mul_(-1)
        a_view *= -1
        assert_matches(t, a, torch.float64, what="input after a write through its view")


@pytest.mark.capability("aliasing")
@pytest.mark.parametrize("torch_fn, numpy_fn, base, writable", COPYING)
def test_copying_ops_do_not_alias_their_input(torch_fn, numpy_fn, base, writable, device):
    t, a = make_base(device, base)
    copy, a_copy = torch_fn(t), numpy_fn(a)
    assert not np.shares_memory(a_copy, a), "table error: NumPy aliases here, so it cannot be the oracle of a copy"
    before = a.copy()
    t.add_(100)
    assert_matches(copy, a_copy, torch.float64, what="copy after a write into its input")
    t.sub_(100)
    copy.mul_(-1)
    assert_matches(t, before, torch.float64, what="input after a write into its copy")


@pytest.mark.capability("aliasing")
@given(data=st.data())
def test_basic_index_is_a_view_like_numpy(device, data):
    # Writes a marker through every basic-indexed view NumPy would share.
    shape = data.draw(shapes(min_dims=1), label="shape")
    index = data.draw(ix.basic_indices(shape), label="index")
    a = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    t = torch.from_numpy(a.copy()).to(device)
    view, a_view = t[index], a[index]
    if not isinstance(a_view, np.ndarray):  # a NumPy scalar, not a view: torch gives a 0-d view
        a_view = a[index + (Ellipsis,) if isinstance(index, tuple) else (index, Ellipsis)]
    view.fill_(-1)
    a_view[...] = -1
    assert_matches(t, a, torch.int64, what=f"input after x[{index!r}].fill_(-1)")


def test_views_share_the_version_counter(device):
    # Autograd's in-place checks rely on a view and its base counting writes together.
    t = torch.zeros(3, 4, device=device)
    v = t[1:]
    before = v._version
    t.add_(1)
    assert v._version > before, "a write into the base must bump its views' version"
    assert v._base is t
